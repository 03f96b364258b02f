// What a browser does with the console, by hand: raw paths, the session cookie it keeps, the CSRF header a page sets.
import { request as rawRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { request, type Dispatcher } from "undici";

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json: any;
}

export interface Call {
  readonly method?: "GET" | "HEAD" | "POST" | "PATCH" | "DELETE" | "PUT";
  readonly headers?: Record<string, string>;
  /** Sent as JSON with content-type application/json unless `headers` names another type. */
  readonly body?: unknown;
  readonly dispatcher?: Dispatcher;
}

export async function call(url: string, c: Call = {}): Promise<Answer> {
  const json = c.body !== undefined && typeof c.body !== "string";
  const res = await request(url, {
    method: c.method ?? "GET",
    headers: { ...(json ? { "content-type": "application/json" } : {}), ...c.headers },
    body: c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body),
    ...(c.dispatcher ? { dispatcher: c.dispatcher } : {}),
  });
  const text = await res.body.text();
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = v;
  return { status: res.statusCode, headers, text, json: parse(text, String(res.headers["content-type"] ?? "")) };
}

/** A GET whose path goes out byte for byte as written ('..', '%2f', backslashes), as no URL parser would leave it. */
export function rawGet(baseUrl: string, path: string): Promise<Answer> {
  const u = new URL(baseUrl);
  const send = u.protocol === "https:" ? httpsRequest : rawRequest;
  return new Promise((resolve, reject) => {
    const req = send({ host: u.hostname, port: u.port, path, method: "GET", rejectUnauthorized: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text, String(res.headers["content-type"] ?? "")) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function parse(text: string, type: string): any {
  return type.startsWith("application/json") && text !== "" ? JSON.parse(text) : undefined;
}

/** The Set-Cookie lines of an answer. */
export function setCookies(a: Answer): string[] {
  const v = a.headers["set-cookie"];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** "aik_session=<token>" from a login's Set-Cookie, as the browser would send it back. */
export function sessionCookieFrom(a: Answer): string {
  const line = setCookies(a).find((c) => c.startsWith("aik_session="));
  if (!line) throw new Error(`no session cookie in ${a.status} ${a.text}`);
  return line.split(";")[0] ?? "";
}

export interface BrowserSession {
  /** "aik_session=aiks_…" */
  readonly cookie: string;
  readonly csrf: string;
  readonly login: Answer;
}

export async function consoleLogin(baseUrl: string, email: string, password: string, dispatcher?: Dispatcher): Promise<BrowserSession> {
  const login = await call(`${baseUrl}/console/api/login`, { method: "POST", body: { email, password }, ...(dispatcher ? { dispatcher } : {}) });
  if (login.status !== 200) throw new Error(`console login failed: ${login.status} ${login.text}`);
  return { cookie: sessionCookieFrom(login), csrf: String(login.json.csrf_token), login };
}

/** A call as the console page makes it: the cookie, and the CSRF header on anything but a read. */
export function asPage(s: BrowserSession, url: string, c: Call = {}): Promise<Answer> {
  const write = (c.method ?? "GET") !== "GET" && c.method !== "HEAD";
  return call(url, { ...c, headers: { cookie: s.cookie, ...(write ? { "x-csrf-token": s.csrf } : {}), ...c.headers } });
}

/** Polls `check` until it returns a value (not undefined): waiting for an event, not for a fixed time. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
