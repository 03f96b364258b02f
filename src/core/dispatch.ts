// The terminal handler: answers catalog calls itself, sends the rest to their deployments in order, failing over on throttling or outage.
import type { CallContext } from "./context.js";
import type { Deployment } from "./deployments.js";
import { GatewayError, toGatewayError } from "./errors.js";
import { notFoundOf, type Call } from "./operation.js";
import type { Terminal } from "./pipeline.js";
import type { Upstream } from "./ports.js";
import { relayStream } from "./relay.js";
import { settledNow, type Result } from "./results.js";
import type { Router } from "./router.js";
import { mayUse } from "./model-access.js";

export function dispatch(upstream: Upstream, router: Router): Terminal {
  const once = async (call: Call, ctx: CallContext, d: Deployment): Promise<Result> => {
    const opts = { signal: ctx.signal, requestId: ctx.requestId };
    const req = call.op.upstream(call, d);
    const shape = call.op.stream;
    if (call.stream && shape) return relayStream(await upstream.stream(d, req, opts), shape, call, ctx);
    const reply = await upstream.unary(d, req, opts);
    const settled = settledNow({ outcome: "ok", usage: call.op.usage(reply.json), object: call.op.object(reply.json) });
    return { kind: "unary", raw: reply.raw, json: reply.json, upstream: reply.info, settled };
  };

  const handle = async (call: Call, ctx: CallContext): Promise<Result> => {
    const catalog = call.op.catalog;
    if (catalog) {
      const models = router.models().filter((m) => ctx.caller === undefined || mayUse(ctx.caller, m.id));
      return { kind: "local", json: catalog(call, models), upstream: undefined, settled: settledNow({ outcome: "ok" }) };
    }
    if (ctx.targets.length === 0) throw new GatewayError("internal", "No deployment was chosen for the call.");
    let last: GatewayError | undefined;
    for (const d of ctx.targets) {
      ctx.deployment = d;
      try {
        return await once(call, ctx, d);
      } catch (err) {
        last = toGatewayError(err);
        // An object lives on one resource: Azure's 404 there means it is gone, answered like an id never seen.
        if (call.op.kind === "object" && last.code === "bad_gateway" && last.reason === "upstream_deployment_not_found") throw notFoundOf(call);
        if (!last.retryable || ctx.signal.aborted) throw last;
        if (last.retryAfterMs !== undefined) router.markThrottled(d, last.retryAfterMs);
      }
    }
    throw last ?? new GatewayError("internal", "No deployment answered.");
  };
  return { needs: ["targets"], handle };
}
