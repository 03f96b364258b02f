// A refused admission as the gateway's error: which limit, of whom, and when to retry; 429 / RESOURCE_EXHAUSTED.
import type { Caller } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { formatUsd } from "../core/money.js";
import { monthOf } from "./calendar-month.js";
import type { Admission, Dimension } from "./limiter.js";

type Refusal = Extract<Admission, { ok: false }>;

const DESCRIPTION: Record<Dimension, string> = {
  requests: "requests per minute",
  tokens: "tokens per minute",
  concurrency: "concurrent requests",
  budget: "monthly budget",
};

/** `outputParam` is the request's own output-cap field (max_tokens, max_output_tokens, ...), named when the request alone is too large. */
export function refusalError(r: Refusal, caller: Caller, requestedTokens: number, outputParam: string): GatewayError {
  const who = r.subject.kind === "user" ? `user ${r.subject.id}` : r.subject.kind === "team" ? `team ${r.subject.id}` : `API key ${r.subject.id}`;
  const limits = r.subject.kind === "user" ? caller.limits.user : r.subject.kind === "team" ? (caller.limits.team ?? {}) : caller.limits.key;
  const violations = [{ subject: `${r.subject.kind}:${r.subject.id}`, description: DESCRIPTION[r.dimension] }];
  const retry = r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs };
  if (r.dimension === "budget") {
    const budget = formatUsd(limits.monthlyBudgetMicroUsd ?? 0);
    return new GatewayError(
      "quota_exceeded",
      `The monthly budget of $${budget} for ${who} is spent (${monthOf(Date.now())}, UTC); it renews next month or when an admin raises it.`,
      { reason: "insufficient_quota", type: "insufficient_quota", violations, limit: r.dimension, ...retry },
    );
  }
  if (r.dimension === "tokens" && r.tooLarge) {
    return new GatewayError(
      "rate_limited",
      `Request too large: it may use ${requestedTokens} tokens (prompt estimate + max output tokens), more than the ` +
        `${limits.tokensPerMinute ?? 0} tokens-per-minute limit of ${who}. Lower ${outputParam} or the prompt.`,
      { reason: "rate_limit_exceeded", type: "tokens", param: outputParam, violations, limit: r.dimension },
    );
  }
  const limit = r.dimension === "requests" ? limits.requestsPerMinute : r.dimension === "tokens" ? limits.tokensPerMinute : limits.maxConcurrent;
  const wait = r.retryAfterMs === undefined ? "" : ` Retry in ${Math.max(1, Math.ceil(r.retryAfterMs / 1000))}s.`;
  return new GatewayError("rate_limited", `Rate limit reached for ${who}: ${limit ?? 0} ${DESCRIPTION[r.dimension]}.${wait}`, {
    reason: "rate_limit_exceeded",
    type: r.dimension === "tokens" ? "tokens" : "requests",
    violations,
    limit: r.dimension,
    ...retry,
  });
}
