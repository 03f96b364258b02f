// The HTTP front door: request lifecycle, routing from the proto, errors, health, graceful close.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import { readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import { createContext, newRequestId, type CallContext } from "../../core/context.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { ServedMethod } from "../../operations/index.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { errorFields, type Logger } from "../../telemetry/logger.js";
import { OperatorToken } from "../../auth/operator-token.js";
import { CallAbort } from "../call-abort.js";
import { InFlight } from "../in-flight.js";
import { TLS_CIPHERS } from "../tls-ciphers.js";
import { refuseTunnel, rejectMalformed } from "./bare-answers.js";
import { Connections } from "./connections.js";
import { Cors } from "./cors.js";
import { cookieCredentialOf, credentialOf, refuseKeyInQuery } from "./credentials.js";
import { ConsoleDoor } from "./console-door.js";
import { OidcDoor } from "./oidc-door.js";
import type { OidcSignIn } from "../../api/oidc-sign-in.js";
import { sessionCookieOf } from "./session-cookie.js";
import type { AuthApi } from "../../api/auth-api.js";
import { lingeringClose, SMALL_REST_BYTES, unreadBytes } from "./linger.js";
import type { UnaryService } from "../../api/unary-api.js";
import { transcodedHandlers } from "./transcode.js";
import { operationHandlers, setRateLimitHeaders, type MethodHandler } from "./operation-handlers.js";
import { sendError } from "./errors.js";
import { RouteTable } from "./routes.js";
import { setSecurityHeaders } from "./security-headers.js";

export interface HttpOptions {
  readonly maxBodyBytes: number;
  /** Production mode or TLS here: send Strict-Transport-Security; /metrics never without the operator token. */
  readonly production: boolean;
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly minVersion: "TLSv1.2" | "TLSv1.3" } | undefined;
  /** Proxies in front that append to X-Forwarded-For (0: the socket's address is the client's). */
  readonly trustedProxies: number;
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (408). */
  readonly requestTimeoutMs: number;
  /** Browser origins allowed (CORS); empty: CORS off. */
  readonly corsOrigins: readonly string[];
}

export interface HttpDeps {
  readonly gateway: Gateway;
  /** The data plane: proto methods served from operations. */
  readonly methods: readonly ServedMethod[];
  readonly schema: ApiSchema;
  readonly logger: Logger;
  /** Readiness beyond "the process is up": false while draining or when a dependency is down. */
  readonly ready: () => boolean;
  /** Unary services (AdminService, AuthService) served from the same functions as their gRPC methods. */
  readonly services?: readonly UnaryService[];
  /** Serves GET /metrics (Prometheus text format). */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (the operator token). */
  readonly metricsToken?: string;
  /** The web console at /console (its build directory, and AuthService for its cookie sessions); unset: off, /console is a 404. */
  readonly console?: { readonly dir: string; readonly auth: AuthApi };
  /** Single sign-on's browser redirects under /v1/auth/oidc/; unset: off, those paths are 404s. */
  readonly oidc?: OidcSignIn;
}

export interface HttpFrontDoor {
  readonly server: Server;
  /** Stops accepting, answers every accepted request (ending the rest at the deadline), closes every connection. */
  close(graceMs: number): Promise<void>;
}

export function createHttpServer(deps: HttpDeps, options: HttpOptions): HttpFrontDoor {
  const routes = new RouteTable(deps.schema.httpRules);
  const control: Record<string, MethodHandler> = {};
  for (const s of deps.services ?? []) Object.assign(control, transcodedHandlers(deps.schema, s, options.maxBodyBytes));
  // The control plane's methods: the only ones a console cookie may authenticate.
  const controlMethods = new Set(Object.keys(control));
  const handlers: Record<string, MethodHandler> = { ...operationHandlers(deps.gateway, deps.methods, options.maxBodyBytes), ...control };
  for (const method of routes.methods()) {
    if (!handlers[method]) throw new Error(`No HTTP handler for ${method}, which the proto binds to a route.`);
  }
  const strictTransport = options.production || options.tls !== undefined;
  const metricsToken = new OperatorToken(deps.metricsToken);
  // Off (no origins) is checked here, before a closure for the allowed verbs is made per request.
  const cors = options.corsOrigins.length > 0 ? new Cors(options.corsOrigins) : undefined;
  const inFlight = new InFlight();
  const consoleDoor = deps.console
    ? new ConsoleDoor({ ...deps.console, schema: deps.schema, secure: strictTransport, maxBodyBytes: options.maxBodyBytes })
    : undefined;
  const oidcDoor = deps.oidc ? new OidcDoor({ signIn: deps.oidc, secure: strictTransport, logger: deps.logger }) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const deadline = performance.now() + options.requestTimeoutMs;
    const requestId = newRequestId();
    res.setHeader("x-request-id", requestId);
    // Draining: serve what arrives, but end keep-alive so clients reconnect to another replica.
    if (!deps.ready()) res.setHeader("connection", "close");
    setSecurityHeaders(res, strictTransport);
    const socket = req.socket;
    connections.acquire(socket);
    // Preflights, probes and /metrics need no abort signal: the call a shutdown waits for (and may end) starts past them.
    let aborter: CallAbort | undefined;
    let answered: (() => void) | undefined;
    // The one listener on the answer's end: the connection's count, and the call's.
    res.on("close", () => {
      connections.release(socket);
      answered?.();
      if (aborter && !res.writableFinished) aborter.abort();
    });
    let ctx: CallContext | undefined;
    try {
      const { path, query } = splitUrl(req.url ?? "/");
      if (cors?.handle(req, res, () => routes.allowedVerbs(path))) return;
      if (req.headers.host === undefined && req.httpVersion === "1.1") {
        throw new GatewayError("invalid_argument", "HTTP/1.1 requests need a Host header.", { reason: "malformed_request" });
      }
      if (operational(req, res, path, deps.ready)) return;
      if (req.method === "GET" && path === "/metrics" && deps.metrics) {
        serveMetrics(req, res, deps.metrics, metricsToken, options.production);
        return;
      }
      aborter = new CallAbort();
      answered = inFlight.track(aborter);
      refuseKeyInQuery(query);
      if (consoleDoor?.owns(path)) {
        ctx = createContext({ requestId, protocol: "http", signal: aborter, credential: sessionCookieOf(req), peer: peerOf(req, options.trustedProxies) });
        await consoleDoor.serve({ req, res, ctx, deadline }, path);
        return;
      }
      if (oidcDoor?.owns(path)) {
        await oidcDoor.serve({ req, res, peer: peerOf(req, options.trustedProxies) }, path, query);
        return;
      }
      const found = routes.find(req.method ?? "GET", path);
      if (found === undefined) throw new GatewayError("not_found", `No route for ${req.method ?? "GET"} ${safePath(path)}.`, { reason: "not_found" });
      if (found === "method") {
        res.setHeader("allow", routes.allowedVerbs(path).join(", "));
        throw new GatewayError("method_not_allowed", `Method ${req.method ?? ""} is not allowed here.`, { reason: "method_not_allowed" });
      }
      const method = found.route.methods[0] ?? "";
      // The console's cookie counts on the control plane only, and only when no credential header is sent.
      const cookie = controlMethods.has(method) ? cookieCredentialOf(req) : undefined;
      ctx = createContext({
        requestId,
        protocol: "http",
        signal: aborter,
        credential: cookie ?? credentialOf(req),
        peer: peerOf(req, options.trustedProxies),
        deadline: clientDeadline(req),
      });
      await (handlers[method] ?? notFound)({ req, res, ctx, route: found.route, params: found.params, query, deadline, viaCookie: cookie !== undefined });
    } catch (err) {
      const gwErr = toGatewayError(err);
      if (gwErr.code === "internal") deps.logger.error("http.internal_error", { request_id: requestId, ...errorFields(gwErr.cause) });
      if (ctx && !res.headersSent) setRateLimitHeaders({ res, ctx });
      if (aborter?.aborted) return;
      leaveBody(req, res, gwErr);
      sendError(res, gwErr);
    }
  };

  // Node checks the header and request timeouts this often (30 s by default, far too coarse for a 10 s headers timeout).
  const connectionsCheckingInterval = Math.max(100, Math.min(1_000, Math.floor(options.headersTimeoutMs / 2)));
  // The body deadline answers 408 itself; Node's own limit is only a backstop for what never reaches a handler.
  const requestTimeout = options.requestTimeoutMs + 5_000;
  const timing = {
    connectionsCheckingInterval,
    requestTimeout,
    // Node refuses a headers timeout past the request timeout; the request timeout answers the same 408 first anyway.
    headersTimeout: Math.min(options.headersTimeoutMs, requestTimeout),
    // Node answers a request without Host with a bare 400: the handler answers it in the envelope instead.
    requireHostHeader: false,
  };
  const server = options.tls
    ? createHttps({
        ...timing,
        cert: readFileSync(options.tls.certFile),
        key: readFileSync(options.tls.keyFile),
        minVersion: options.tls.minVersion,
        ciphers: TLS_CIPHERS,
      })
    : createHttp(timing);
  const connections = new Connections(server);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => rejectMalformed(err, socket, strictTransport));
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => refuseTunnel(socket, strictTransport));
  server.on("upgrade", (_req: IncomingMessage, socket: Duplex) => refuseTunnel(socket, strictTransport));
  return {
    server,
    close: (graceMs) => connections.close(graceMs, inFlight),
  };
}

const notFound: MethodHandler = async () => {
  throw new GatewayError("not_found", "No such method.", { reason: "not_found" });
};

/**
 * What is left of a body the answer comes before: a 413's is read and dropped (bounded) so the
 * client gets its answer, not a reset; a small rest is just read; a large one is not waited for.
 */
function leaveBody(req: IncomingMessage, res: ServerResponse, err: GatewayError): void {
  const unread = unreadBytes(req);
  if (unread === 0) return;
  res.setHeader("connection", "close");
  if (err.code === "payload_too_large") lingeringClose(req);
  else if (unread <= SMALL_REST_BYTES) req.resume();
}

/** /metrics needs the operator token when one is set; in production mode it is never served without one. */
function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: NonNullable<HttpDeps["metrics"]>, token: OperatorToken, production: boolean): void {
  if (!token.configured && production) {
    throw new GatewayError("not_found", "GET /metrics is not served in production mode without an operator token (AIK_ADMIN_TOKEN).", { reason: "not_found" });
  }
  if (token.configured && !token.matches(credentialOf(req) ?? "")) {
    throw new GatewayError("unauthenticated", "GET /metrics needs the operator token.", { reason: "invalid_api_key" });
  }
  metrics(req, res);
}

/** Liveness and readiness probes: outside the proto, no credentials, no body. */
function operational(req: IncomingMessage, res: ServerResponse, path: string, ready: () => boolean): boolean {
  if (req.method !== "GET" || (path !== "/healthz" && path !== "/readyz")) return false;
  const ok = path === "/healthz" || ready();
  const body = JSON.stringify({ status: ok ? "ok" : "unavailable" });
  res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}

/** No URL parsing here: WHATWG URL would resolve '..' and hide it from name validation. */
function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  // The openai SDK (<= v6) sends "//openai/..." when the endpoint ends in '/': tolerate it.
  return { path: rawPath.replace(/\/{2,}/g, "/"), query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)) };
}

function safePath(path: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(path) ? path : "(unprintable path)";
}

/**
 * The client's address. Each trusted proxy appends the address it got the request from, so the
 * client's is `hops` entries from the right; anything left of it the client may have written.
 */
function peerOf(req: IncomingMessage, hops: number): string | undefined {
  const socket = req.socket.remoteAddress;
  if (hops === 0) return socket;
  const forwarded = req.headers["x-forwarded-for"];
  const entries = (typeof forwarded === "string" ? forwarded : "").split(",").map((e) => e.trim()).filter((e) => e !== "");
  // With hops proxies, the socket is the nearest one and X-Forwarded-For holds the other hops - 1 after the client.
  return entries[entries.length - hops] ?? socket;
}

/** The openai SDKs say how long they will wait (`X-Stainless-Timeout`, seconds): failovers stop short of it. */
function clientDeadline(req: IncomingMessage): number | undefined {
  const seconds = Number(req.headers["x-stainless-timeout"]);
  return Number.isFinite(seconds) && seconds > 0 ? performance.now() + seconds * 1000 : undefined;
}
