// The ChatService methods over HTTP: each parses OpenAI JSON, makes one core call, writes OpenAI JSON or SSE.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseChatRequest } from "../../core/chat-request.js";
import type { CallContext } from "../../core/context.js";
import { parseEmbeddingsRequest } from "../../core/embeddings-request.js";
import { GatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { UnaryResult } from "../../core/results.js";
import { readJsonBody } from "./body.js";
import type { Route } from "./routes.js";
import { writeEventStream } from "./sse-writer.js";
import { rateLimitHeaders } from "../rate-limit-headers.js";

export interface HttpCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: CallContext;
  readonly route: Route;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
}

export type MethodHandler = (call: HttpCall) => Promise<void>;

/** Handlers by "service/method"; the route table must bind each of them and nothing else. */
export function chatHandlers(gateway: Gateway, maxBodyBytes: number): Record<string, MethodHandler> {
  const chat: MethodHandler = async (call) => {
    const body = await readJsonBody(call.req, maxBodyBytes);
    const request = parseChatRequest(body, pathDeployment(call));
    if (request.stream) {
      const stream = await gateway.streamChatCompletion(request, call.ctx);
      setRateLimitHeaders(call);
      await writeEventStream(call.res, stream);
    } else {
      const result = await gateway.createChatCompletion(request, call.ctx);
      setRateLimitHeaders(call);
      sendUnary(call.res, result);
    }
  };
  return {
    "aik.v1.ChatService/CreateChatCompletion": chat,
    // The same routes: `"stream": true` in the body selects streaming, as in OpenAI's API.
    "aik.v1.ChatService/StreamChatCompletion": chat,
    "aik.v1.ChatService/CreateEmbedding": async (call) => {
      const body = await readJsonBody(call.req, maxBodyBytes);
      const result = await gateway.createEmbedding(parseEmbeddingsRequest(body, pathDeployment(call)), call.ctx);
      setRateLimitHeaders(call);
      sendUnary(call.res, result);
    },
    "aik.v1.ChatService/ListModels": async (call) => {
      const { models } = await gateway.listModels(call.ctx);
      const data = models.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: m.ownedBy }));
      const body = JSON.stringify({ object: "list", data });
      call.res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      call.res.end(body);
    },
  };
}

/** The limits step's report, on successes here and on failures in the server's error path. */
export function setRateLimitHeaders(call: { res: ServerResponse; ctx: CallContext }): void {
  for (const [name, value] of rateLimitHeaders(call.ctx.rateLimit)) call.res.setHeader(name, value);
}

/** Azure's bytes go out as received, so every field Azure adds reaches the client. */
function sendUnary(res: ServerResponse, result: UnaryResult): void {
  res.writeHead(200, { "content-type": "application/json", "content-length": result.raw.length });
  res.end(result.raw);
}

/** Azure-style routes name the deployment in the path and, as Azure does, require api-version. */
function pathDeployment(call: HttpCall): string | undefined {
  if (!call.route.azureStyle) return undefined;
  if (!call.query.get("api-version")) {
    throw new GatewayError("not_found", "Resource not found: Azure-style routes need the api-version query parameter.", {
      param: "api-version",
      reason: "404",
    });
  }
  const raw = call.params.deployment ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError("invalid_argument", "Invalid 'deployment': the path segment is not valid percent-encoding.", {
      param: "deployment",
      reason: "invalid_value",
    });
  }
}
