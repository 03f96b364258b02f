// The metering step: exactly one usage record per call that reached it, written off the request path.
import type { CallContext } from "../core/context.js";
import { toGatewayError, type GatewayError } from "../core/errors.js";
import { modelOf, type Step } from "../core/pipeline.js";
import type { Pricing } from "../core/ports.js";
import type { Result } from "../core/results.js";
import { streamUsage, type TokenCounter } from "../core/usage-estimate.js";
import type { Usage } from "../core/usage.js";
import type { UsageRecord } from "./record.js";

export interface MeteringStepOptions {
  /** Takes the record and returns at once (UsageWriter.record). */
  readonly record: (r: UsageRecord) => void;
  readonly pricing: Pricing;
  readonly counter: TokenCounter;
}

const NONE: Usage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 };

export interface Metering {
  readonly step: Step;
  /** Resolves once every stream in flight has ended and been recorded (for shutdown). */
  idle(): Promise<void>;
}

export function meteringStep(o: MeteringStepOptions): Metering {
  const open = new Set<Promise<void>>();
  /** Records still being worked out (a stream in flight, a count under way), so shutdown can wait for them. */
  const track = (p: Promise<void>): void => {
    open.add(p);
    void p.finally(() => open.delete(p));
  };
  const step: Step = (next) => async (call, ctx) => {
    if (call.op === "models" || !ctx.caller) return next(call, ctx);
    const caller = ctx.caller;
    const body = call.request.body;
    const base = {
      requestId: ctx.requestId,
      occurredAt: new Date(Date.now() - (performance.now() - ctx.startedAt)),
      userId: caller.userId,
      keyId: caller.keyId,
      model: modelOf(call) ?? "",
      protocol: ctx.protocol,
      streamed: call.op === "chat" && call.request.stream,
    };
    const write = (outcome: string, usage: Usage, estimated: boolean, ttftMs: number | null, result?: Result): void => {
      // A refused call reached no deployment and costs nothing.
      const deployment = outcome.startsWith("rejected_by_limit") ? undefined : ctx.attempted;
      const upstream = result && result.kind !== "models" ? result.upstream : undefined;
      o.record({
        ...base,
        deploymentId: deployment?.id ?? null,
        region: upstream?.region ?? deployment?.region ?? null,
        outcome,
        promptTokens: usage.promptTokens,
        cachedTokens: usage.cachedTokens,
        completionTokens: usage.completionTokens,
        reasoningTokens: usage.reasoningTokens,
        costMicroUsd: deployment ? o.pricing(deployment, usage).costMicroUsd : 0,
        latencyMs: Math.round(performance.now() - ctx.startedAt),
        ttftMs,
        estimated,
      });
    };

    let result: Result;
    try {
      result = await next(call, ctx);
    } catch (err) {
      const e = toGatewayError(err);
      if (e.reason === "content_filter") {
        // Azure bills a prompt its content filter blocked: count it locally and mark it estimated.
        track(
          o.counter.promptTokens(body).then(
            (promptTokens) => write(outcomeOf(e, ctx), { ...NONE, promptTokens }, true, null),
            () => write(outcomeOf(e, ctx), NONE, true, null),
          ),
        );
      } else {
        write(outcomeOf(e, ctx), NONE, false, null);
      }
      throw err;
    }
    if (result.kind === "stream") {
      const stream = result;
      track(
        stream.done.then(async (summary) => {
          const outcome = summary.outcome === "ok" ? "ok" : summary.error ? outcomeOf(summary.error, ctx) : "client_cancelled";
          const final = await streamUsage(summary, body, o.counter).catch(() => ({ usage: NONE, estimated: true }));
          write(outcome, final.usage, final.estimated, summary.firstTokenMs ?? null, stream);
        }),
      );
    } else if (result.kind === "unary") {
      write("ok", result.usage ?? NONE, result.usage === undefined, null, result);
    }
    return result;
  };
  return { step, idle: async () => void (await Promise.all(open)) };
}

function outcomeOf(e: GatewayError, ctx: CallContext): string {
  if (e.limit !== undefined) return `rejected_by_limit:${e.limit}`;
  if (e.code === "cancelled" || (e.code === "deadline_exceeded" && ctx.signal.aborted)) return "client_cancelled";
  if (ctx.attempted && (e.code === "bad_gateway" || e.code === "upstream_timeout" || e.code === "rate_limited" || e.code === "invalid_argument" || e.code === "payload_too_large")) {
    return `upstream_error:${e.reason ?? e.code}`;
  }
  return `error:${e.code}`;
}
