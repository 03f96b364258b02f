// Drives a single sign-on by hand over HTTP, one redirect at a time, so a test can keep, replay or alter any step (state, nonce, code, cookies).
import { request } from "undici";

export interface Started {
  /** The provider's authorization URL the gateway redirected to. */
  readonly authorizeUrl: URL;
  /** The gateway's flow cookie, as `name=value`. */
  readonly flowCookie: string;
}

export interface CallbackAnswer {
  readonly status: number;
  readonly location: string;
  /** The aik_session cookie's value, when the callback set one. */
  readonly session: string | undefined;
  readonly setCookies: readonly string[];
}

function setCookiesOf(headers: Record<string, string | string[] | undefined>): string[] {
  const v = headers["set-cookie"];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function locationOf(headers: Record<string, string | string[] | undefined>): string {
  const v = headers.location;
  return typeof v === "string" ? v : "";
}

/** GET /v1/auth/oidc/start: a 303 to the provider and the flow cookie. */
export async function startSignIn(gatewayUrl: string): Promise<Started> {
  const res = await request(`${gatewayUrl}/v1/auth/oidc/start`);
  await res.body.dump();
  if (res.statusCode !== 303) throw new Error(`start answered ${res.statusCode}`);
  const cookie = setCookiesOf(res.headers).find((c) => c.startsWith("aik_oidc="));
  if (!cookie) throw new Error("start set no aik_oidc cookie");
  return { authorizeUrl: new URL(locationOf(res.headers)), flowCookie: cookie.split(";")[0] ?? "" };
}

/** Follows the provider's redirects and its login page's button (keeping its cookies) until a redirect points back at the gateway: that URL, not followed. */
export async function authorize(authorizeUrl: URL, gatewayUrl: string): Promise<URL> {
  const gateway = new URL(gatewayUrl).origin;
  const jar = new Map<string, string>();
  let url = authorizeUrl;
  let method: "GET" | "POST" = "GET";
  for (let hop = 0; hop < 10; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await request(url, { method, headers: cookie ? { cookie } : {} });
    const body = await res.body.text();
    for (const c of setCookiesOf(res.headers)) {
      const pair = c.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    // The provider's login page: its one button posts back to the same URL.
    if (res.statusCode === 200 && method === "GET" && url.pathname.startsWith("/interaction/")) {
      method = "POST";
      continue;
    }
    if (res.statusCode < 300 || res.statusCode >= 400) throw new Error(`the provider answered ${res.statusCode}: ${body.slice(0, 300)}`);
    method = "GET";
    url = new URL(locationOf(res.headers), url);
    if (url.origin === gateway) return url;
  }
  throw new Error("the provider never redirected back to the gateway");
}

/** GET the callback URL with the given cookies (the flow cookie, or none): the gateway's 303 and what it set. */
export async function callback(callbackUrl: URL | string, cookie: string | undefined): Promise<CallbackAnswer> {
  const res = await request(callbackUrl, { headers: cookie ? { cookie } : {} });
  await res.body.dump();
  const setCookies = setCookiesOf(res.headers);
  const session = setCookies.find((c) => c.startsWith("aik_session="))?.split(";")[0]?.slice("aik_session=".length);
  return { status: res.statusCode, location: locationOf(res.headers), session: session || undefined, setCookies };
}

/** A whole sign-in: start, the provider, the callback. */
export async function signIn(gatewayUrl: string): Promise<CallbackAnswer> {
  const { authorizeUrl, flowCookie } = await startSignIn(gatewayUrl);
  return callback(await authorize(authorizeUrl, gatewayUrl), flowCookie);
}

/** The reason code a refused sign-in's redirect names. */
export function refusalOf(answer: CallbackAnswer): string | null {
  if (answer.status !== 303) return `status ${answer.status}`;
  return new URL(answer.location, "http://x").searchParams.get("sso_error");
}
