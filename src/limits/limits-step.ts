// The limits step: one admission (one Redis round trip) before a model call, one settlement once its answer settles.
import type { CallContext } from "../core/context.js";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import type { CallerLimits } from "../core/limits.js";
import type { Call } from "../core/operation.js";
import { required, type Step } from "../core/pipeline.js";
import type { Pricing } from "../core/ports.js";
import { finalUsage, isDeferred, NO_USAGE, type TokenCounter } from "../core/usage-estimate.js";
import type { Usage } from "../core/usage.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import { teamTag, type Limiter, type Subject, type Ticket } from "./limiter.js";
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
  /**
   * Redis Cluster: a script's keys must share one slot, and a team's state (shared by its members)
   * cannot share the slot of every member. A team key's whole admission then lives under the team's
   * tag, so its user's limits count the user's team-key requests apart from their other requests.
   */
  readonly sharedTeamSlot?: boolean;
}

/**
 * Only calls metered per request (model calls) are limited: reading, cancelling or deleting a
 * stored object and listing models cost nothing at Azure and count against nothing.
 */
export function limitsStep(o: LimitsStepOptions): Step {
  const budgets = new BudgetWatch(o.limiter, o.softBudgetPercent, o.logger);
  return {
    name: "limits",
    needs: ["caller", "targets"],
    gives: [],
    wrap: (next) => async (call, ctx) => {
      const caller = required(ctx.caller, "caller");
      const planned = ctx.targets[0];
      if (call.op.metering !== "request" || !planned) return next(call, ctx);

      const prompt = call.op.roughPromptTokens(call);
      const reserved: Usage = { ...NO_USAGE, promptTokens: prompt, completionTokens: outputReservation(call, caller.limits, prompt, o.defaultMaxOutputTokens) };
      const tokens = reserved.promptTokens + reserved.completionTokens;
      const costMicroUsd = o.pricing(planned, reserved).costMicroUsd;
      const subjects: Subject[] = [{ kind: "user", id: caller.userId, limits: caller.limits.user }];
      // A service account calling with its token presents no key: its user is its only subject.
      if (caller.keyId !== undefined) subjects.push({ kind: "key", id: caller.keyId, limits: caller.limits.key });
      // A team key's requests count against its team too, in the same atomic admission.
      if (caller.teamId !== undefined) subjects.push({ kind: "team", id: caller.teamId, limits: caller.limits.team ?? {} });
      const partition = caller.teamId !== undefined && o.sharedTeamSlot === true ? teamTag(caller.teamId) : caller.userId;
      const admission = await o.limiter
        .admit({ requestId: ctx.requestId, partition, subjects, tokens, costMicroUsd })
        .catch((err: unknown) => {
          if (err instanceof LimiterUnavailableError) {
            throw new GatewayError("unavailable", "Rate limiting is unavailable right now; try again shortly.", { reason: "service_unavailable", cause: err });
          }
          throw err;
        });
      ctx.rateLimit = admission.report;
      if (!admission.ok) throw refusalError(admission, caller, tokens, call.op.outputCapParam(call));

      const settle = (served: Deployment, usage: Usage): void => {
        const actual = { tokens: usage.promptTokens + usage.completionTokens, costMicroUsd: o.pricing(served, usage).costMicroUsd };
        void settleQuietly(o, admission.ticket, actual, ctx).then(() => budgets.check(caller, actual.costMicroUsd));
      };
      let result;
      try {
        result = await next(call, ctx);
      } catch (err) {
        settle(planned, NO_USAGE);
        throw err;
      }
      const served = ctx.deployment ?? planned;
      void result.settled
        // A background response still running keeps its reservation as its charge; metering records the real count later.
        .then((s) => (isDeferred(s, call) ? reserved : finalUsage(s, call, o.counter).then((f) => f.usage)))
        .then(
          (usage) => settle(served, usage),
          // Counting failed (it should not): settle at zero rather than leave the reservation standing.
          () => settle(served, NO_USAGE),
        );
      return result;
    },
  };
}

/** The caller's max tokens, or the configured default cut down to what the tightest TPM limit leaves. */
function outputReservation(call: Call, limits: CallerLimits, prompt: number, fallback: number): number {
  if (call.maxOutputTokens !== undefined) return call.maxOutputTokens * call.choices;
  const tpm = Math.min(limits.user.tokensPerMinute ?? Infinity, limits.key.tokensPerMinute ?? Infinity, limits.team?.tokensPerMinute ?? Infinity);
  const fit = Number.isFinite(tpm) ? Math.max(0, Math.floor((tpm - prompt) / call.choices)) : fallback;
  return Math.min(fallback, fit) * call.choices;
}

/** Settlement happens after the answer: a failure is logged (the ticket's lease frees the slot), never thrown. */
async function settleQuietly(o: LimitsStepOptions, ticket: Ticket, actual: { tokens: number; costMicroUsd: number }, ctx: CallContext): Promise<void> {
  try {
    await o.limiter.settle(ticket, actual);
  } catch (err) {
    o.logger.warn("limits.settle_failed", { request_id: ctx.requestId, ...errorFields(err) });
  }
}
