// The metering step: exactly one usage record per model call that reached it, written off the request path.
import type { CallContext } from "../core/context.js";
import { toGatewayError, type GatewayError } from "../core/errors.js";
import { required, type Step } from "../core/pipeline.js";
import { closedReason } from "../core/reasons.js";
import type { Pricing } from "../core/ports.js";
import type { UpstreamInfo } from "../core/results.js";
import { countPrompt, finalUsage, isDeferred, NO_USAGE, type TokenCounter } from "../core/usage-estimate.js";
import type { Usage } from "../core/usage.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import type { DeferredUsage } from "./deferred-usage.js";
import { usageRecord, type UsageRecord } from "./record.js";

export interface MeteringStepOptions {
  /** Takes the record and returns at once (UsageWriter.record). */
  readonly record: (r: UsageRecord) => void;
  readonly pricing: Pricing;
  readonly counter: TokenCounter;
  readonly deferred: DeferredUsage;
  /** The output estimate kept for a background response in case Azure's count can never be had. */
  readonly defaultMaxOutputTokens: number;
  readonly logger: Logger;
}

export interface Metering {
  readonly step: Step;
  /** Resolves once every answer in flight has ended and been recorded (for shutdown). */
  idle(): Promise<void>;
}

/**
 * Model calls get one record each, when their answer settles. A background response still
 * running is recorded when first seen finished: by the call that sees it (a poll, a resumed
 * stream, a cancel) or by the sweeper (src/metering/deferred-usage.ts).
 */
export function meteringStep(o: MeteringStepOptions): Metering {
  const open = new Set<Promise<void>>();
  /** Records still being worked out (a stream in flight, a count under way), so shutdown can wait for them. */
  const track = (p: Promise<void>, ctx: CallContext): void => {
    const quiet = p.catch((err: unknown) => o.logger.warn("metering.failed", { request_id: ctx.requestId, ...errorFields(err) }));
    open.add(quiet);
    void quiet.finally(() => open.delete(quiet));
  };

  const step: Step = {
    name: "metering",
    needs: ["caller", "targets"],
    gives: [],
    wrap: (next) => async (call, ctx) => {
      if (call.op.metering === "none") return next(call, ctx);
      if (call.op.metering === "settles") {
        if (call.op.forgetsObject && call.objectId !== undefined) await o.deferred.settleBefore(call.objectId);
        const result = await next(call, ctx);
        track(result.settled.then((s) => (s.object ? o.deferred.finished(s.object) : undefined)), ctx);
        return result;
      }
      const caller = required(ctx.caller, "caller");
      const base = {
        requestId: ctx.requestId,
        occurredAt: new Date(Date.now() - (performance.now() - ctx.startedAt)),
        userId: caller.userId,
        // A service account's token is no key: its rows carry an empty key_id (the column is part of usage_daily's key).
        keyId: caller.keyId ?? "",
        model: call.model ?? "",
        protocol: ctx.protocol,
        streamed: call.stream,
        teamId: caller.teamId ?? null,
      };
      const write = (outcome: string, usage: Usage, estimated: boolean, ttftMs: number | null, upstream?: UpstreamInfo): void => {
        // A refused call reached no deployment and costs nothing.
        const deployment = outcome.startsWith("rejected_by_limit") ? undefined : ctx.deployment;
        const origin = { ...base, deploymentId: deployment?.id ?? null, region: upstream?.region ?? deployment?.region ?? null };
        o.record(
          usageRecord(origin, {
            outcome,
            usage,
            costMicroUsd: deployment ? o.pricing(deployment, usage).costMicroUsd : 0,
            latencyMs: Math.round(performance.now() - ctx.startedAt),
            ttftMs,
            estimated,
          }),
        );
      };

      let result;
      try {
        result = await next(call, ctx);
      } catch (err) {
        const e = toGatewayError(err);
        if (e.reason === "content_filter") {
          // Azure bills a prompt its content filter blocked: count it locally and mark it estimated.
          track(
            countPrompt(call, o.counter).then(
              (n) => write(outcomeOf(e, ctx), { ...NO_USAGE, promptTokens: n }, true, null),
              () => write(outcomeOf(e, ctx), NO_USAGE, true, null),
            ),
            ctx,
          );
        } else {
          write(outcomeOf(e, ctx), NO_USAGE, false, null);
        }
        throw err;
      }
      const answer = result;
      const work = answer.settled.then(async (s) => {
        const served = ctx.deployment;
        if (isDeferred(s, call) && s.object && served) {
          return o.deferred.defer({
            ...base,
            objectId: s.object.id,
            deploymentId: served.id,
            region: answer.upstream?.region ?? served.region ?? null,
            estimatedPrompt: call.op.roughPromptTokens(call),
            estimatedOutput: call.maxOutputTokens ?? o.defaultMaxOutputTokens,
          });
        }
        const outcome = s.error ? outcomeOf(s.error, ctx) : s.outcome === "ok" ? (s.object?.finished ? s.object.outcome : "ok") : "client_cancelled";
        const final = await finalUsage(s, call, o.counter).catch(() => ({ usage: NO_USAGE, estimated: true }));
        write(outcome, final.usage, final.estimated, s.firstTokenMs ?? null, answer.upstream);
      });
      track(work, ctx);
      // A background response answered at once is remembered before the client can poll it, so the first poll that sees it finished records it.
      if (call.background && !call.stream) await work.catch(() => undefined);
      return answer;
    },
  };
  return { step, idle: async () => void (await Promise.all(open)) };
}

function outcomeOf(e: GatewayError, ctx: CallContext): string {
  if (e.limit !== undefined) return `rejected_by_limit:${e.limit}`;
  if (e.code === "cancelled" || (e.code === "deadline_exceeded" && ctx.signal.aborted)) return "client_cancelled";
  if (ctx.deployment && (e.code === "bad_gateway" || e.code === "upstream_timeout" || e.code === "rate_limited" || e.code === "invalid_argument" || e.code === "payload_too_large")) {
    return `upstream_error:${closedReason(e)}`;
  }
  return `error:${e.code}`;
}
