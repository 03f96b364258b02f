// The four limit columns shared by users and api_keys, read and written in one place.
import type { Limits } from "../core/limits.js";

export interface LimitColumns {
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  max_concurrent_requests: number | null;
  monthly_budget_micro_usd: string | number | null;
}

export function limitsFromRow(r: LimitColumns): Limits {
  const n = (v: number | string | null): number | undefined => (v === null ? undefined : Number(v));
  return {
    requestsPerMinute: n(r.requests_per_minute),
    tokensPerMinute: n(r.tokens_per_minute),
    maxConcurrent: n(r.max_concurrent_requests),
    monthlyBudgetMicroUsd: n(r.monthly_budget_micro_usd),
  };
}

export function limitsToRow(l: Limits): LimitColumns {
  return {
    requests_per_minute: l.requestsPerMinute ?? null,
    tokens_per_minute: l.tokensPerMinute ?? null,
    max_concurrent_requests: l.maxConcurrent ?? null,
    monthly_budget_micro_usd: l.monthlyBudgetMicroUsd ?? null,
  };
}
