// The proto's Limits <-> the core's, checked: out-of-range, zero, fractional or absurd values name their field.
import type { Limits as ProtoLimits } from "../../gen/aik/v1/admin.js";
import { invalidArgument } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import { formatUsd, parseMicroUsd } from "../core/money.js";

const MAX_BUDGET_MICRO_USD = 10_000_000 * 1_000_000;

function count(v: number | undefined, at: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1 || v > max) throw invalidArgument(at, `Invalid '${at}': expected a whole number from 1 to ${max}.`);
  return v;
}

/** undefined when the message is absent ("leave as is"); otherwise every field checked. */
export function limitsFromProto(l: ProtoLimits | undefined, at = "limits"): Limits | undefined {
  if (!l) return undefined;
  let budget: number | undefined;
  if (l.monthlyBudgetUsd !== undefined) {
    budget = parseMicroUsd(l.monthlyBudgetUsd);
    if (budget === undefined || budget > MAX_BUDGET_MICRO_USD) {
      throw invalidArgument(`${at}.monthly_budget_usd`, `Invalid '${at}.monthly_budget_usd': a decimal USD amount such as "12.50", at most 10000000.`);
    }
  }
  return {
    requestsPerMinute: count(l.requestsPerMinute, `${at}.requests_per_minute`, 1_000_000),
    tokensPerMinute: count(l.tokensPerMinute, `${at}.tokens_per_minute`, 1_000_000_000),
    maxConcurrent: count(l.maxConcurrentRequests, `${at}.max_concurrent_requests`, 100_000),
    monthlyBudgetMicroUsd: budget,
  };
}

export function limitsToProto(l: Limits): ProtoLimits {
  return {
    requestsPerMinute: l.requestsPerMinute,
    tokensPerMinute: l.tokensPerMinute,
    maxConcurrentRequests: l.maxConcurrent,
    monthlyBudgetUsd: l.monthlyBudgetMicroUsd === undefined ? undefined : formatUsd(l.monthlyBudgetMicroUsd),
  };
}

export const NO_LIMITS: Limits = {};
