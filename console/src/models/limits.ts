// A user's or a key's four limits as the Admin API carries them; absent means inherited.
import { objectOf, optionalNumberAt, optionalTextAt, type JsonObject, type JsonValue } from "../json";

export interface Limits {
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  readonly maxConcurrentRequests?: number;
  /** A decimal string, "12.50". */
  readonly monthlyBudgetUsd?: string;
}

export function decodeLimits(v: JsonValue | undefined): Limits {
  if (v === undefined || v === null) return {};
  const o = objectOf(v, "limits");
  const rpm = optionalNumberAt(o, "requests_per_minute");
  const tpm = optionalNumberAt(o, "tokens_per_minute");
  const conc = optionalNumberAt(o, "max_concurrent_requests");
  const budget = optionalTextAt(o, "monthly_budget_usd");
  return {
    ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}),
    ...(tpm !== undefined ? { tokensPerMinute: tpm } : {}),
    ...(conc !== undefined ? { maxConcurrentRequests: conc } : {}),
    ...(budget !== undefined ? { monthlyBudgetUsd: budget } : {}),
  };
}

export function limitsJson(l: Limits): JsonObject {
  const o: JsonObject = {};
  if (l.requestsPerMinute !== undefined) o["requests_per_minute"] = l.requestsPerMinute;
  if (l.tokensPerMinute !== undefined) o["tokens_per_minute"] = l.tokensPerMinute;
  if (l.maxConcurrentRequests !== undefined) o["max_concurrent_requests"] = l.maxConcurrentRequests;
  if (l.monthlyBudgetUsd !== undefined) o["monthly_budget_usd"] = l.monthlyBudgetUsd;
  return o;
}

/** "60 requests/min · 4 at once · $25.00/month", or what it inherits from. */
export function describeLimits(l: Limits, inherits: string): string {
  const parts: string[] = [];
  if (l.requestsPerMinute !== undefined) parts.push(`${l.requestsPerMinute.toLocaleString("en-US")} requests/min`);
  if (l.tokensPerMinute !== undefined) parts.push(`${l.tokensPerMinute.toLocaleString("en-US")} tokens/min`);
  if (l.maxConcurrentRequests !== undefined) parts.push(`${l.maxConcurrentRequests.toLocaleString("en-US")} at once`);
  if (l.monthlyBudgetUsd !== undefined) parts.push(`$${l.monthlyBudgetUsd}/month`);
  return parts.length === 0 ? inherits : parts.join(" · ");
}
