// The limits step: one admission (one Redis round trip) before the upstream call, one settlement after it ends.
import type { CallContext } from "../core/context.js";
import type { ChatRequest } from "../core/chat-request.js";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import type { CallerLimits } from "../core/limits.js";
import type { Step } from "../core/pipeline.js";
import type { Pricing } from "../core/ports.js";
import { roughPromptTokens, streamUsage, type TokenCounter } from "../core/usage-estimate.js";
import type { Usage } from "../core/usage.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import type { Limiter, Ticket } from "./limiter.js";
import { refusalError } from "./refusals.js";
import { LimiterUnavailableError } from "./resilient-limiter.js";
import { BudgetWatch } from "./budget-watch.js";

export interface LimitsStepOptions {
  readonly limiter: Limiter;
  readonly pricing: Pricing;
  readonly counter: TokenCounter;
  /** Output reserved for a request that sets no max tokens (cut to what the TPM limit leaves). */
  readonly defaultMaxOutputTokens: number;
  readonly softBudgetPercent: number;
  readonly logger: Logger;
}

const NOTHING: Usage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 };

export function limitsStep(o: LimitsStepOptions): Step {
  const budgets = new BudgetWatch(o.limiter, o.softBudgetPercent, o.logger);
  return (next) => async (call, ctx) => {
    const caller = ctx.caller;
    const planned = ctx.targets[0];
    if (call.op === "models" || !caller || !planned) return next(call, ctx);

    const prompt = roughPromptTokens(call);
    const output = call.op === "chat" ? outputReservation(call.request, caller.limits, prompt, o.defaultMaxOutputTokens) : 0;
    const tokens = prompt + output;
    const costMicroUsd = o.pricing(planned, { ...NOTHING, promptTokens: prompt, completionTokens: output }).costMicroUsd;
    const subjects = [
      { kind: "user" as const, id: caller.userId, limits: caller.limits.user },
      { kind: "key" as const, id: caller.keyId, limits: caller.limits.key },
    ];
    const admission = await o.limiter
      .admit({ requestId: ctx.requestId, partition: caller.userId, subjects, tokens, costMicroUsd })
      .catch((err: unknown) => {
        if (err instanceof LimiterUnavailableError) {
          throw new GatewayError("unavailable", "Rate limiting is unavailable right now; try again shortly.", { reason: "service_unavailable", cause: err });
        }
        throw err;
      });
    ctx.rateLimit = admission.report;
    if (!admission.ok) throw refusalError(admission, caller, tokens);

    const settle = (served: Deployment, usage: Usage): void => {
      const actual = { tokens: usage.promptTokens + usage.completionTokens, costMicroUsd: o.pricing(served, usage).costMicroUsd };
      void settleQuietly(o, admission.ticket, actual, ctx).then(() => budgets.check(caller, actual.costMicroUsd));
    };
    let result;
    try {
      result = await next(call, ctx);
    } catch (err) {
      settle(planned, NOTHING);
      throw err;
    }
    const served = ctx.targets.find((d) => d.id === (result.kind === "models" ? "" : result.upstream.deploymentId)) ?? planned;
    if (result.kind === "stream") {
      const body = call.op === "chat" ? call.request.body : {};
      void result.done
        .then((summary) => streamUsage(summary, body, o.counter))
        .then(
          (final) => settle(served, final.usage),
          // Counting failed (it should not): settle at zero rather than leave the reservation standing.
          () => settle(served, NOTHING),
        );
    } else if (result.kind === "unary") {
      settle(served, result.usage ?? { ...NOTHING, promptTokens: prompt });
    }
    return result;
  };
}

/** The caller's max tokens, or the configured default cut down to what the tightest TPM limit leaves. */
function outputReservation(req: ChatRequest, limits: CallerLimits, prompt: number, fallback: number): number {
  if (req.maxOutputTokens !== undefined) return req.maxOutputTokens * req.choices;
  const tpm = Math.min(limits.user.tokensPerMinute ?? Infinity, limits.key.tokensPerMinute ?? Infinity);
  const fit = Number.isFinite(tpm) ? Math.max(0, Math.floor((tpm - prompt) / req.choices)) : fallback;
  return Math.min(fallback, fit) * req.choices;
}

/** Settlement happens after the answer: a failure is logged (the ticket's lease frees the slot), never thrown. */
async function settleQuietly(o: LimitsStepOptions, ticket: Ticket, actual: { tokens: number; costMicroUsd: number }, ctx: CallContext): Promise<void> {
  try {
    await o.limiter.settle(ticket, actual);
  } catch (err) {
    o.logger.warn("limits.settle_failed", { request_id: ctx.requestId, ...errorFields(err) });
  }
}
