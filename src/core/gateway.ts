// The core's entry points, one per operation; both transports call these and nothing else.
import type { CallContext } from "./context.js";
import type { ChatRequest } from "./chat-request.js";
import type { EmbeddingsRequest } from "./embeddings-request.js";
import { GatewayError } from "./errors.js";
import { compose, type Call, type Step } from "./pipeline.js";
import { dispatch } from "./dispatch.js";
import type { Upstream } from "./ports.js";
import type { ChatStream, ModelList, Result, UnaryResult } from "./results.js";
import { routeStep, type Router } from "./router.js";

export interface Gateway {
  createChatCompletion(request: ChatRequest, ctx: CallContext): Promise<UnaryResult>;
  streamChatCompletion(request: ChatRequest, ctx: CallContext): Promise<ChatStream>;
  createEmbedding(request: EmbeddingsRequest, ctx: CallContext): Promise<UnaryResult>;
  listModels(ctx: CallContext): Promise<ModelList>;
}

export interface GatewayParts {
  readonly router: Router;
  readonly upstream: Upstream;
  /** Run first, before routing, in order (telemetry, authentication): an unauthenticated caller learns nothing about models. */
  readonly front?: readonly Step[];
  /** Run after routing, in order (model access, metering, limits), around the upstream call. */
  readonly policies?: readonly Step[];
}

export function createGateway(parts: GatewayParts): Gateway {
  const steps = [...(parts.front ?? []), routeStep(parts.router), ...(parts.policies ?? [])];
  const handle = compose(steps, dispatch(parts.upstream, parts.router));
  const run = async <K extends Result["kind"]>(call: Call, ctx: CallContext, kind: K): Promise<Extract<Result, { kind: K }>> => {
    const result = await handle(call, ctx);
    if (!isKind(result, kind)) throw new GatewayError("internal", "The gateway produced a result of the wrong kind.");
    return result;
  };
  return {
    createChatCompletion: (request, ctx) => run({ op: "chat", request: expectStream(request, false) }, ctx, "unary"),
    streamChatCompletion: (request, ctx) => run({ op: "chat", request: expectStream(request, true) }, ctx, "stream"),
    createEmbedding: (request, ctx) => run({ op: "embeddings", request }, ctx, "unary"),
    listModels: (ctx) => run({ op: "models" }, ctx, "models"),
  };
}

function isKind<K extends Result["kind"]>(r: Result, kind: K): r is Extract<Result, { kind: K }> {
  return r.kind === kind;
}

/** The body's `stream` flag decides what Azure sends back, so it must match the entry point. */
function expectStream(request: ChatRequest, stream: boolean): ChatRequest {
  if (request.stream !== stream) {
    throw new GatewayError("internal", `A ${request.stream ? "streaming" : "unary"} request reached the wrong entry point.`);
  }
  return request;
}
