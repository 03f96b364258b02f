// The HTTP front door: request lifecycle, routing from the proto, errors, health, graceful close.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { createContext, newRequestId, type CallContext } from "../../core/context.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { errorFields, type Logger } from "../../telemetry/logger.js";
import { operationHandlers, setRateLimitHeaders, type MethodHandler } from "./operation-handlers.js";
import type { ServedMethod } from "../../operations/index.js";
import { OperatorToken } from "../../auth/operator-token.js";
import { credentialOf } from "./credentials.js";
import { errorEnvelope, sendError } from "./errors.js";
import { RouteTable } from "./routes.js";
import { securityHeaders, setSecurityHeaders } from "./security-headers.js";

export interface HttpOptions {
  readonly maxBodyBytes: number;
  /** Production mode or TLS here: send Strict-Transport-Security. */
  readonly production: boolean;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Proxies in front that append to X-Forwarded-For (0: the socket's address is the client's). */
  readonly trustedProxies: number;
}

export interface HttpDeps {
  readonly gateway: Gateway;
  /** The data plane: proto methods served from operations. */
  readonly methods: readonly ServedMethod[];
  readonly schema: ApiSchema;
  readonly logger: Logger;
  /** Readiness beyond "the process is up": false while draining or when a dependency is down. */
  readonly ready: () => boolean;
  /** Extra handlers by "service/method" (AdminService, AuthService, ... as they arrive). */
  readonly handlers?: Readonly<Record<string, MethodHandler>>;
  /** Serves GET /metrics (Prometheus text format). */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (the operator token). */
  readonly metricsToken?: string;
}

export function createHttpServer(deps: HttpDeps, options: HttpOptions): Server {
  const routes = new RouteTable(deps.schema.httpRules);
  const handlers: Record<string, MethodHandler> = { ...operationHandlers(deps.gateway, deps.methods, options.maxBodyBytes), ...deps.handlers };
  for (const method of routes.methods()) {
    if (!handlers[method]) throw new Error(`No HTTP handler for ${method}, which the proto binds to a route.`);
  }
  const strictTransport = options.production || options.tls !== undefined;
  const metricsToken = new OperatorToken(deps.metricsToken);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    res.setHeader("x-request-id", requestId);
    // Draining: serve what arrives, but end keep-alive so clients reconnect to another replica.
    if (!deps.ready()) res.setHeader("connection", "close");
    setSecurityHeaders(res, strictTransport);
    const aborter = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborter.abort();
    });
    let ctx: CallContext | undefined;
    try {
      const { path, query } = splitUrl(req.url ?? "/");
      if (operational(req, res, path, deps.ready)) return;
      if (req.method === "GET" && path === "/metrics" && deps.metrics) {
        if (metricsToken.configured && !metricsToken.matches(credentialOf(req) ?? "")) {
          throw new GatewayError("unauthenticated", "GET /metrics needs the operator token.", { reason: "invalid_api_key" });
        }
        deps.metrics(req, res);
        return;
      }
      refuseKeyInQuery(query);
      const found = routes.find(req.method ?? "GET", path);
      if (found === undefined) throw new GatewayError("not_found", `No route for ${req.method ?? "GET"} ${safePath(path)}.`, { reason: "not_found" });
      if (found === "method") {
        res.setHeader("allow", routes.allowedVerbs(path).join(", "));
        throw new GatewayError("method_not_allowed", `Method ${req.method ?? ""} is not allowed here.`, { reason: "method_not_allowed" });
      }
      ctx = createContext({
        requestId,
        protocol: "http",
        signal: aborter.signal,
        credential: credentialOf(req),
        peer: peerOf(req, options.trustedProxies),
      });
      const method = found.route.methods[0] ?? "";
      await (handlers[method] ?? notFound)({ req, res, ctx, route: found.route, params: found.params, query });
    } catch (err) {
      const gwErr = toGatewayError(err);
      if (gwErr.code === "internal") deps.logger.error("http.internal_error", { request_id: requestId, ...errorFields(gwErr.cause) });
      if (gwErr.code === "payload_too_large") res.setHeader("connection", "close");
      if (ctx && !res.headersSent) setRateLimitHeaders({ res, ctx });
      if (!aborter.signal.aborted) sendError(res, gwErr);
    }
  };

  const server = options.tls
    ? createHttps({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) })
    : createHttp();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
  server.on("clientError", (err: Error & { code?: string }, socket: Socket) => rejectMalformed(err, socket, strictTransport));
  return server;
}

const notFound: MethodHandler = async () => {
  throw new GatewayError("not_found", "No such method.", { reason: "not_found" });
};

/** Liveness and readiness probes: outside the proto, no credentials, no body. */
function operational(req: IncomingMessage, res: ServerResponse, path: string, ready: () => boolean): boolean {
  if (req.method !== "GET" || (path !== "/healthz" && path !== "/readyz")) return false;
  const ok = path === "/healthz" || ready();
  const body = JSON.stringify({ status: ok ? "ok" : "unavailable" });
  res.writeHead(ok ? 200 : 503, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}

// A key in a URL ends up in proxy logs and browser history: refused however it is named.
const KEY_PARAMS = ["api-key", "api_key", "apikey", "key", "access_token", "token", "session_token"];

function refuseKeyInQuery(query: URLSearchParams): void {
  if (KEY_PARAMS.some((name) => query.has(name))) {
    throw new GatewayError("unauthenticated", "Credentials in the URL are refused: send 'Authorization: Bearer <key>' instead.", {
      reason: "invalid_api_key",
    });
  }
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

/** Requests node's parser refuses (bad request line, 1 MB header) still get our headers and envelope. */
function rejectMalformed(err: Error & { code?: string }, socket: Socket, strictTransport: boolean): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? 431 : 400;
  const gwErr = new GatewayError("invalid_argument", tooLarge ? "The request headers are too large." : "The request is malformed HTTP.", {
    reason: tooLarge ? "headers_too_large" : "malformed_request",
  });
  const body = JSON.stringify(errorEnvelope(gwErr));
  const headers = [
    `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${newRequestId()}`,
    ...securityHeaders(strictTransport).map(([name, value]) => `${name}: ${value}`),
    "connection: close",
  ];
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
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
