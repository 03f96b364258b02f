// The usage record: the one shape metering stores per request, and the check every record passes before it is kept.
import { isValidName } from "../core/names.js";
import type { Usage } from "../core/usage.js";

export type Protocol = "grpc" | "http";

export interface UsageRecord {
  /** The COMPLETE list of what is stored per request, nothing more: no prompt or completion text. */
  readonly requestId: string;
  /** When the request arrived. */
  readonly occurredAt: Date;
  readonly userId: string;
  readonly keyId: string;
  /** The model name asked for. */
  readonly model: string;
  /** Gateway deployment id that served it (null if none was reached). */
  readonly deploymentId: string | null;
  readonly region: string | null;
  readonly protocol: Protocol;
  readonly streamed: boolean;
  /** "ok" | "upstream_error:<reason>" | "client_cancelled" | "rejected_by_limit:<dimension>" | "error:<code>", from closed sets (src/core/reasons.ts). */
  readonly outcome: string;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
  /** Integer micro-USD, never floating point. */
  readonly costMicroUsd: number;
  readonly latencyMs: number;
  /** Time to first token (streams). */
  readonly ttftMs: number | null;
  /** Counts estimated locally (no usage from Azure). */
  readonly estimated: boolean;
  /** The team of the team key used; null for a key of no team. */
  readonly teamId: string | null;
}

/** What a record says about the request itself, known before its answer. */
export type RecordOrigin = Pick<UsageRecord, "requestId" | "occurredAt" | "userId" | "keyId" | "model" | "deploymentId" | "region" | "protocol" | "streamed" | "teamId">;

/** What a record says about the answer. */
export interface RecordEnd {
  readonly outcome: string;
  readonly usage: Usage;
  readonly costMicroUsd: number;
  readonly latencyMs: number;
  readonly ttftMs: number | null;
  readonly estimated: boolean;
}

/** The record of one request; takes only the record's fields from `origin`, whatever else it carries. */
export function usageRecord(origin: RecordOrigin, end: RecordEnd): UsageRecord {
  return {
    requestId: origin.requestId,
    occurredAt: origin.occurredAt,
    userId: origin.userId,
    keyId: origin.keyId,
    model: origin.model,
    deploymentId: origin.deploymentId,
    region: origin.region,
    protocol: origin.protocol,
    streamed: origin.streamed,
    outcome: end.outcome,
    promptTokens: end.usage.promptTokens,
    cachedTokens: end.usage.cachedTokens,
    completionTokens: end.usage.completionTokens,
    reasoningTokens: end.usage.reasoningTokens,
    costMicroUsd: end.costMicroUsd,
    latencyMs: end.latencyMs,
    ttftMs: end.ttftMs,
    estimated: end.estimated,
    teamId: origin.teamId,
  };
}

/** The usage_records columns, in table order; each is one UsageRecord field. */
export const USAGE_COLUMNS: readonly string[] = Object.freeze([
  "request_id",
  "occurred_at",
  "user_id",
  "key_id",
  "model",
  "deployment_id",
  "region",
  "protocol",
  "streamed",
  "outcome",
  "prompt_tokens",
  "cached_tokens",
  "completion_tokens",
  "reasoning_tokens",
  "cost_micro_usd",
  "latency_ms",
  "ttft_ms",
  "estimated",
  "team_id",
]);

/** The UsageRecord field names, in the same order as USAGE_COLUMNS. */
export const RECORD_FIELDS = Object.freeze([
  "requestId",
  "occurredAt",
  "userId",
  "keyId",
  "model",
  "deploymentId",
  "region",
  "protocol",
  "streamed",
  "outcome",
  "promptTokens",
  "cachedTokens",
  "completionTokens",
  "reasoningTokens",
  "costMicroUsd",
  "latencyMs",
  "ttftMs",
  "estimated",
  "teamId",
] as const satisfies readonly (keyof UsageRecord)[]);

// Bounds the table accepts: a record that passes here is never refused by Postgres, so one bad
// record cannot hold a whole batch back. Text is bounded because these are ids and names, not prose.
const MAX_TEXT = 256;
const MAX_INT4 = 2_147_483_647;
// The model name is the one field a client writes freely: one that is not a valid name (it could
// be any text, a prompt pasted into the wrong field) is stored as this, never as given.
export const UNREADABLE_MODEL = "(invalid-name)";

export type RecordCheck = { readonly ok: true; readonly record: UsageRecord } | { readonly ok: false; readonly field: string };

/**
 * Checks a record field by field and returns a fresh copy holding exactly the record's fields, so
 * nothing else a caller's object carries (a body, a message) is kept, spooled or written.
 * `occurredAt` may be a Date or, as read back from the spool, an ISO-8601 string.
 */
export function checkRecord(value: unknown): RecordCheck {
  if (typeof value !== "object" || value === null) return { ok: false, field: "record" };
  const v = (key: string): unknown => Reflect.get(value, key);
  const occurredAt = dateOf(v("occurredAt"));
  const requestId = text(v("requestId"));
  const userId = text(v("userId"));
  // Empty: made with a service account's token, not a key (see Caller.keyId).
  const keyId = v("keyId") === "" ? "" : text(v("keyId"));
  const asked = v("model");
  const model = typeof asked !== "string" || asked === "" ? undefined : isValidName(asked) ? asked : UNREADABLE_MODEL;
  const deploymentId = nullableText(v("deploymentId"));
  const region = nullableText(v("region"));
  const protocol = v("protocol");
  const streamed = v("streamed");
  const outcome = text(v("outcome"));
  const promptTokens = count(v("promptTokens"), Number.MAX_SAFE_INTEGER);
  const cachedTokens = count(v("cachedTokens"), Number.MAX_SAFE_INTEGER);
  const completionTokens = count(v("completionTokens"), Number.MAX_SAFE_INTEGER);
  const reasoningTokens = count(v("reasoningTokens"), Number.MAX_SAFE_INTEGER);
  const costMicroUsd = count(v("costMicroUsd"), Number.MAX_SAFE_INTEGER);
  const latencyMs = count(v("latencyMs"), MAX_INT4);
  const ttftRaw = v("ttftMs");
  const ttftMs = ttftRaw === null ? null : count(ttftRaw, MAX_INT4);
  const estimated = v("estimated");
  // Absent in records spooled before teams existed: those were made with keys of no team.
  const teamId = v("teamId") === undefined ? null : nullableText(v("teamId"));

  if (requestId === undefined) return bad("requestId");
  if (occurredAt === undefined) return bad("occurredAt");
  if (userId === undefined) return bad("userId");
  if (keyId === undefined) return bad("keyId");
  if (model === undefined) return bad("model");
  if (deploymentId === undefined) return bad("deploymentId");
  if (region === undefined) return bad("region");
  if (protocol !== "grpc" && protocol !== "http") return bad("protocol");
  if (typeof streamed !== "boolean") return bad("streamed");
  if (outcome === undefined) return bad("outcome");
  if (promptTokens === undefined) return bad("promptTokens");
  if (cachedTokens === undefined) return bad("cachedTokens");
  if (completionTokens === undefined) return bad("completionTokens");
  if (reasoningTokens === undefined) return bad("reasoningTokens");
  if (costMicroUsd === undefined) return bad("costMicroUsd");
  if (latencyMs === undefined) return bad("latencyMs");
  if (ttftMs === undefined) return bad("ttftMs");
  if (typeof estimated !== "boolean") return bad("estimated");
  if (teamId === undefined) return bad("teamId");
  const record: UsageRecord = {
    requestId, occurredAt, userId, keyId, model, deploymentId, region, protocol, streamed, outcome,
    promptTokens, cachedTokens, completionTokens, reasoningTokens, costMicroUsd, latencyMs, ttftMs, estimated, teamId,
  };
  return { ok: true, record };
}

/** The record as a plain JSON object with exactly its fields (occurredAt as ISO-8601 UTC). */
export function recordJson(r: UsageRecord): Record<(typeof RECORD_FIELDS)[number], string | number | boolean | null> {
  return {
    requestId: r.requestId,
    occurredAt: r.occurredAt.toISOString(),
    userId: r.userId,
    keyId: r.keyId,
    model: r.model,
    deploymentId: r.deploymentId,
    region: r.region,
    protocol: r.protocol,
    streamed: r.streamed,
    outcome: r.outcome,
    promptTokens: r.promptTokens,
    cachedTokens: r.cachedTokens,
    completionTokens: r.completionTokens,
    reasoningTokens: r.reasoningTokens,
    costMicroUsd: r.costMicroUsd,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    estimated: r.estimated,
    teamId: r.teamId,
  };
}

function bad(field: string): RecordCheck {
  return { ok: false, field };
}

// Postgres text refuses NUL; the rest is any non-empty short string.
function text(x: unknown): string | undefined {
  return typeof x === "string" && x.length > 0 && x.length <= MAX_TEXT && !x.includes("\u0000") ? x : undefined;
}

function nullableText(x: unknown): string | null | undefined {
  return x === null ? null : text(x);
}

function count(x: unknown, max: number): number | undefined {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= max ? x : undefined;
}

// Years 1..9999 only: both JSON round trips and Postgres timestamptz hold those exactly.
function dateOf(x: unknown): Date | undefined {
  const d = x instanceof Date ? new Date(x.getTime()) : typeof x === "string" && /^\d{4}-\d{2}-\d{2}T/.test(x) ? new Date(x) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) return undefined;
  const year = d.getUTCFullYear();
  return year >= 1 && year <= 9999 ? d : undefined;
}
