// A stand-in for Entra ID on loopback: an App Service style managed identity endpoint and a tenant's OAuth token endpoint, counting what it issues.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";

export interface IssuedToken {
  /** "mi": the managed identity endpoint; "sp": a service principal's client-credentials grant. */
  readonly via: "mi" | "sp";
  /** The user-assigned identity or the service principal asked for; undefined: system-assigned. */
  readonly clientId: string | undefined;
  readonly resource: string;
  readonly at: number;
  /** The token itself, so a test can prove it never reached a log. */
  readonly token: string;
}

export interface FakeEntra {
  /** http://127.0.0.1:port, or https:// when started with a certificate. */
  readonly url: string;
  /** IDENTITY_ENDPOINT for a managed identity (App Service style). */
  readonly identityEndpoint: string;
  /** IDENTITY_HEADER: the secret the endpoint demands in `x-identity-header`. */
  readonly identityHeader: string;
  /** The HS256 secret tokens are signed with: the emulator's `entraKey`. */
  readonly signingKey: string;
  readonly issued: readonly IssuedToken[];
  /** Requests refused (while `failing`, or with a wrong secret). */
  refused: number;
  /** Lifetime of the tokens it issues from now on. */
  lifetimeSeconds: number;
  /** While true every token request is answered 500 (the identity endpoint is down). */
  failing: boolean;
  /** How long each token request is held before it is answered (a slow identity endpoint). */
  delayMs: number;
  /** Resolves once `n` tokens have been issued in all. */
  waitForIssued(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` requests have been refused in all. */
  waitForRefused(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once the fake has issued `n` tokens to `clientId` (undefined: the system-assigned identity). */
  waitForIssuedTo(clientId: string | undefined, n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Plain http for a managed identity (the SDK allows it, as App Service's endpoint is local); `tls` for a service principal's authority (https only). */
export async function startFakeEntra(opts: { tls?: { certFile: string; keyFile: string }; servicePrincipal?: ServicePrincipal } = {}): Promise<FakeEntra> {
  const signingKey = randomBytes(32).toString("base64url");
  const identityHeader = randomBytes(16).toString("hex");
  const issued: IssuedToken[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  let url = "";
  const state = {
    lifetimeSeconds: 3600,
    failing: false,
    refused: 0,
    delayMs: 0,
  };
  const mint = async (via: IssuedToken["via"], clientId: string | undefined, resource: string): Promise<{ token: string; expiresOn: number }> => {
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + state.lifetimeSeconds;
    const token = await new SignJWT({ appid: clientId ?? "system-assigned", oid: randomUUID(), tid: opts.servicePrincipal?.tenantId ?? "mi-tenant" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setAudience(resource)
      .setIssuer(`${url}/`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(expiresOn)
      .setJti(randomUUID())
      .sign(new TextEncoder().encode(signingKey));
    issued.push({ via, clientId, resource, at: Date.now(), token });
    notify();
    return { token, expiresOn };
  };
  const refuse = (res: ServerResponse, status: number, body: object): void => {
    state.refused += 1;
    notify();
    json(res, status, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (req.method === "GET" && u.pathname === "/msi/token") {
      if (req.headers["x-identity-header"] !== identityHeader) return json(res, 400, { statusCode: 400, message: "missing or wrong X-IDENTITY-HEADER" });
      if (state.failing) return refuse(res, 500, { statusCode: 500, message: "The identity endpoint is not available." });
      const resource = u.searchParams.get("resource") ?? "";
      const clientId = u.searchParams.get("client_id") ?? undefined;
      const { token, expiresOn } = await mint("mi", clientId, resource);
      return json(res, 200, { access_token: token, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: clientId ?? "system" });
    }
    const sp = opts.servicePrincipal;
    if (sp && req.method === "GET" && u.pathname === `/${sp.tenantId}/v2.0/.well-known/openid-configuration`) {
      const base = `${url}/${sp.tenantId}`;
      return json(res, 200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        response_types_supported: ["code", "token"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      });
    }
    if (sp && req.method === "POST" && u.pathname === `/${sp.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(body);
      if (state.failing) return refuse(res, 500, { error: "temporarily_unavailable", error_description: "AADSTS50001: the service is unavailable." });
      if (form.get("grant_type") !== "client_credentials" || form.get("client_id") !== sp.clientId || form.get("client_secret") !== sp.clientSecret) {
        return refuse(res, 401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] });
      }
      const scope = form.get("scope") ?? "";
      const resource = scope.split(" ").find((s) => s.endsWith("/.default"))?.replace(/\/\.default$/, "") ?? "";
      const { token } = await mint("sp", sp.clientId, resource);
      return json(res, 200, { token_type: "Bearer", expires_in: state.lifetimeSeconds, ext_expires_in: state.lifetimeSeconds, access_token: token });
    }
    json(res, 404, { error: "not_found" });
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => json(res, 500, { error: "server_error" }));
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `${opts.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const waitFor = (done: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`fake Entra: ${what} not reached in ${timeoutMs} ms (issued ${issued.length}, refused ${state.refused})`));
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });

  return {
    url,
    identityEndpoint: `${url}/msi/token`,
    identityHeader,
    signingKey,
    issued,
    get refused() {
      return state.refused;
    },
    set refused(n: number) {
      state.refused = n;
    },
    get lifetimeSeconds() {
      return state.lifetimeSeconds;
    },
    set lifetimeSeconds(s: number) {
      state.lifetimeSeconds = s;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get failing() {
      return state.failing;
    },
    set failing(f: boolean) {
      state.failing = f;
    },
    waitForIssued: (n, timeoutMs = 10_000) => waitFor(() => issued.length >= n, `${n} tokens issued`, timeoutMs),
    waitForRefused: (n, timeoutMs = 10_000) => waitFor(() => state.refused >= n, `${n} requests refused`, timeoutMs),
    waitForIssuedTo: (clientId, n, timeoutMs = 10_000) =>
      waitFor(() => issued.filter((t) => t.clientId === clientId).length >= n, `${n} tokens issued to ${clientId ?? "the system identity"}`, timeoutMs),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A throwaway self-signed certificate for 127.0.0.1 with the address in its subjectAltName (Node checks an IP against SANs only). */
export function loopbackCertificate(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "aik-entra-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}
