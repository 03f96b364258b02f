// The terminal handler: sends the call to its deployments in order, failing over on throttling or outage.
import type { CallContext } from "./context.js";
import type { ChatRequest } from "./chat-request.js";
import { supportsStreamOptions, type Deployment } from "./deployments.js";
import { GatewayError, toGatewayError } from "./errors.js";
import { isObject, type JsonObject } from "./json.js";
import type { Call, Handler } from "./pipeline.js";
import type { Upstream } from "./ports.js";
import { relayChatStream } from "./chat-stream.js";
import type { Result } from "./results.js";
import type { Router } from "./router.js";
import { usageOf } from "./usage.js";

type UpstreamCall = Exclude<Call, { op: "models" }>;

export function dispatch(upstream: Upstream, router: Router): Handler {
  const once = async (call: UpstreamCall, ctx: CallContext, d: Deployment): Promise<Result> => {
    const opts = { signal: ctx.signal, requestId: ctx.requestId };
    if (call.op === "chat" && call.request.stream) {
      const src = await upstream.stream(d, chatBody(call.request, d), opts);
      return relayChatStream(src, call.request.includeUsage, ctx);
    }
    const body = call.op === "chat" ? chatBody(call.request, d) : withModel(call.request.body, d);
    const reply = await upstream.unary(d, call.op, body, opts);
    return { kind: "unary", raw: reply.raw, json: reply.json, usage: usageOf(reply.json), upstream: reply.info };
  };

  return async (call, ctx) => {
    if (call.op === "models") return { kind: "models", models: router.models() };
    const targets = ctx.targets;
    if (targets.length === 0) throw new GatewayError("internal", "No deployment was chosen for the call.");
    let last: GatewayError | undefined;
    for (const d of targets) {
      ctx.attempted = d;
      try {
        return await once(call, ctx, d);
      } catch (err) {
        last = toGatewayError(err);
        if (!last.retryable || ctx.signal.aborted) throw last;
        if (last.retryAfterMs !== undefined) router.markThrottled(d, last.retryAfterMs);
      }
    }
    throw last ?? new GatewayError("internal", "No deployment answered.");
  };
}

/** v1 routes pick the deployment by body `model`; classic routes by path (Azure ignores the body's). */
function withModel(body: JsonObject, d: Deployment): JsonObject {
  return d.apiStyle === "v1" && body.model !== d.deployment ? { ...body, model: d.deployment } : body;
}

/**
 * Streams always ask Azure for its usage chunk (metering counts from Azure's own numbers),
 * but only where the deployment's api-version knows `stream_options`.
 */
function chatBody(req: ChatRequest, d: Deployment): JsonObject {
  const body = withModel(req.body, d);
  if (!req.stream || req.includeUsage || !supportsStreamOptions(d)) return body;
  const given = isObject(body.stream_options) ? body.stream_options : {};
  return { ...body, stream_options: { ...given, include_usage: true } };
}
