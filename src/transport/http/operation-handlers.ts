// The data plane over HTTP: each proto method's routes parse OpenAI JSON into its operation, make one core call, write JSON or SSE.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallContext } from "../../core/context.js";
import type { Gateway } from "../../core/gateway.js";
import { isObject } from "../../core/json.js";
import type { Result } from "../../core/results.js";
import type { ServedMethod } from "../../operations/index.js";
import { readJsonRequest } from "./body.js";
import { decodeParams, type Route } from "./routes.js";
import { writeEventStream } from "./sse-writer.js";
import { rateLimitHeaders } from "../rate-limit-headers.js";

export interface HttpCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: CallContext;
  readonly route: Route;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** performance.now() by which the whole request must have arrived (server.request_timeout_ms). */
  readonly deadline: number;
  /** The credential is the console's session cookie (control plane only): a state change then needs the CSRF token. */
  readonly viaCookie: boolean;
}

export type MethodHandler = (call: HttpCall) => Promise<void>;

/** Handlers by "service/method"; the route table must bind each of them and nothing else. */
export function operationHandlers(gateway: Gateway, methods: readonly ServedMethod[], maxBodyBytes: number): Record<string, MethodHandler> {
  const handlers: Record<string, MethodHandler> = {};
  for (const m of methods) {
    handlers[m.name] = async (call) => {
      // The credential first, from the headers: no body byte is read or parsed for a caller without a valid key.
      await gateway.authenticate(call.ctx);
      const body = call.route.hasBody ? await readJsonRequest(call.req, maxBodyBytes, call.deadline) : undefined;
      const parsed = m.op.parse({
        body: isObject(body?.value) ? body.value : undefined,
        raw: body?.raw,
        params: decodeParams(call.params),
        query: call.query,
        style: call.route.style,
      });
      const result = await gateway.run(parsed, call.ctx);
      setRateLimitHeaders(call);
      await send(call.res, result);
    };
  }
  return handlers;
}

async function send(res: ServerResponse, result: Result): Promise<void> {
  if (result.kind === "stream") return writeEventStream(res, result);
  // Azure's bytes go out as received, so every field Azure adds reaches the client.
  const body = result.kind === "unary" ? result.raw : Buffer.from(JSON.stringify(result.json));
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

/** The limits step's report, on successes here and on failures in the server's error path. */
export function setRateLimitHeaders(call: { res: ServerResponse; ctx: CallContext }): void {
  for (const [name, value] of rateLimitHeaders(call.ctx.rateLimit)) call.res.setHeader(name, value);
}
