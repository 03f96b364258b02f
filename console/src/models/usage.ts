// The usage report the usage page draws: the last 30 UTC days grouped by day, model and key, as JSON or as the API's CSV.
import { callCsv, callJson } from "../api";
import { listAt, numberAt, objectAt, objectOf, textAt, type JsonObject } from "../json";

export interface UsageSums {
  readonly requests: number;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
  /** The exact decimal string the API sends. */
  readonly costUsd: string;
}

export interface UsageRow extends UsageSums {
  readonly day: string;
  readonly model: string;
  readonly keyId: string;
}

export interface UsageReport {
  readonly rows: readonly UsageRow[];
  readonly total: UsageSums;
  /** The first day of the range, "YYYY-MM-DD" (UTC). */
  readonly firstDay: string;
  readonly days: number;
}

/** Whose usage: the caller's own, one user's (admins), or everyone's (admins). */
export type Whose = { readonly kind: "self" } | { readonly kind: "user"; readonly userId: string } | { readonly kind: "everyone" };

export const DAYS = 30;

export function usageSums(o: JsonObject): UsageSums {
  return {
    requests: numberAt(o, "requests"),
    promptTokens: numberAt(o, "prompt_tokens"),
    cachedTokens: numberAt(o, "cached_tokens"),
    completionTokens: numberAt(o, "completion_tokens"),
    reasoningTokens: numberAt(o, "reasoning_tokens"),
    costUsd: textAt(o, "cost_usd") || "0",
  };
}

/** Midnight UTC DAYS-1 days ago: today and the 29 days before it. */
export function rangeStart(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (DAYS - 1)));
}

function query(whose: Whose, start: Date): Record<string, string | undefined> {
  return {
    start_time: start.toISOString(),
    group_by: "day,model,key",
    user_id: whose.kind === "user" ? whose.userId : undefined,
  };
}

export async function getUsage(whose: Whose, start = rangeStart()): Promise<UsageReport> {
  const o = objectOf(await callJson("/v1/admin/usage", { query: query(whose, start) }), "usage");
  const rows = listAt(o, "rows").map((v): UsageRow => {
    const r = objectOf(v, "usage row");
    return { day: textAt(r, "day"), model: textAt(r, "model"), keyId: textAt(r, "key_id"), ...usageSums(r) };
  });
  return { rows, total: usageSums(objectAt(o, "total")), firstDay: start.toISOString().slice(0, 10), days: DAYS };
}

/** The same report as the API's own CSV (Accept: text/csv), byte for byte. */
export function getUsageCsv(whose: Whose, start: Date): Promise<string> {
  return callCsv("/v1/admin/usage", { query: query(whose, start) });
}
