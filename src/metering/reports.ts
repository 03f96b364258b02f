// Usage reports from the daily rollup, exact to the millisecond at the edges of a range; and retention.
import type postgres from "postgres";

export { applyRetention } from "./partitions.js";

export type ReportDimension = "day" | "model" | "key" | "user" | "deployment" | "team";

export interface UsageQuery {
  readonly userId?: string;
  readonly keyId?: string;
  readonly model?: string;
  /** "" selects requests that reached no deployment. */
  readonly deploymentId?: string;
  /** Requests made with this team's keys. */
  readonly teamId?: string;
  /** Inclusive. */
  readonly start?: Date;
  /** Exclusive. */
  readonly end?: Date;
  readonly groupBy: readonly ReportDimension[];
}

export interface UsageSums {
  readonly requests: number;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
  readonly costMicroUsd: number;
}

export interface UsageReportRow extends UsageSums {
  /** UTC day, YYYY-MM-DD. */
  readonly day?: string;
  readonly model?: string;
  readonly keyId?: string;
  readonly userId?: string;
  /** "" for requests that reached no deployment. */
  readonly deploymentId?: string;
  /** "" for requests made with keys of no team. */
  readonly teamId?: string;
}

export interface UsageReport {
  readonly rows: UsageReportRow[];
  readonly total: UsageSums;
}

type LabelField = "day" | "model" | "keyId" | "userId" | "deploymentId" | "teamId";

const DIMENSIONS: Readonly<Record<ReportDimension, { column: string; field: LabelField }>> = {
  day: { column: "day", field: "day" },
  model: { column: "model", field: "model" },
  key: { column: "key_id", field: "keyId" },
  user: { column: "user_id", field: "userId" },
  deployment: { column: "deployment_id", field: "deploymentId" },
  team: { column: "team_id", field: "teamId" },
};
const DAY_MS = 86_400_000;

/**
 * Sums usage, grouped by any of day, model, key, user, team, deployment (in the order given), filtered
 * by any of user, key, team, model, deployment, over [start, end). Days are UTC. Whole days are read
 * from usage_daily; a range that starts or ends mid-day reads the raw rows of those partial days,
 * so the answer is exact to the millisecond, not rounded to days. No start or end: all time.
 * Partial days older than the raw retention have no raw rows left and count as empty.
 */
export async function usageReport(sql: postgres.Sql, q: UsageQuery): Promise<UsageReport> {
  const dims = checkQuery(q);
  const { days, raw } = splitRange(q.start, q.end);
  const sources: postgres.PendingQuery<postgres.Row[]>[] = [];
  if (days !== undefined) {
    sources.push(sql`
      select day, user_id, key_id, model, deployment_id, coalesce(team_id, '') as team_id, requests,
        prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd
      from usage_daily
      where ${filters(sql, q, sql`deployment_id`)}
        and ${days.from === undefined ? sql`true` : sql`day >= ${isoDay(days.from)}::date`}
        and ${days.to === undefined ? sql`true` : sql`day < ${isoDay(days.to)}::date`}`);
  }
  for (const part of raw) {
    sources.push(sql`
      select (occurred_at at time zone 'UTC')::date as day, user_id, key_id, model,
        coalesce(deployment_id, '') as deployment_id, coalesce(team_id, '') as team_id, 1::bigint as requests,
        prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd
      from usage_records
      where ${filters(sql, q, sql`coalesce(deployment_id, '')`)}
        and occurred_at >= ${part.from} and occurred_at < ${part.to}`);
  }
  const union = sources.reduce((all, s) => sql`${all} union all ${s}`);
  const columns = dims.map((d) => DIMENSIONS[d].column);
  const selected = dims.map((d) => (d === "day" ? sql`to_char(day, 'YYYY-MM-DD') as day,` : sql`${sql(DIMENSIONS[d].column)},`));
  const rows = await sql`
    select ${selected.reduce((all, s) => sql`${all} ${s}`, sql``)}
      coalesce(sum(requests), 0)::text as requests,
      coalesce(sum(prompt_tokens), 0)::text as prompt_tokens,
      coalesce(sum(cached_tokens), 0)::text as cached_tokens,
      coalesce(sum(completion_tokens), 0)::text as completion_tokens,
      coalesce(sum(reasoning_tokens), 0)::text as reasoning_tokens,
      coalesce(sum(cost_micro_usd), 0)::text as cost_micro_usd
    from (${union}) u
    ${columns.length === 0 ? sql`` : sql`group by ${sql(columns)} order by ${sql(columns)}`}`;
  const out = rows.map((row) => reportRow(row, dims));
  return { rows: out, total: totalOf(out) };
}

function checkQuery(q: UsageQuery): ReportDimension[] {
  for (const d of q.groupBy) {
    if (!Object.hasOwn(DIMENSIONS, d)) throw new RangeError(`cannot group usage by '${String(d)}': use day, model, key, user, team or deployment`);
  }
  for (const [name, date] of [["start", q.start], ["end", q.end]] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) throw new RangeError(`report ${name} is not a valid time`);
  }
  if (q.start !== undefined && q.end !== undefined && q.start.getTime() >= q.end.getTime()) {
    throw new RangeError("report start must be before its end");
  }
  return [...new Set(q.groupBy)];
}

interface Range {
  readonly from?: Date;
  readonly to?: Date;
}

/** Whole UTC days for the rollup (undefined: none), and the raw [from, to) pieces at either edge. */
export function splitRange(start: Date | undefined, end: Date | undefined): { days: Range | undefined; raw: { from: Date; to: Date }[] } {
  const firstWhole = start === undefined ? undefined : ceilDay(start);
  const endWhole = end === undefined ? undefined : floorDay(end);
  if (start !== undefined && end !== undefined && firstWhole !== undefined && endWhole !== undefined && firstWhole >= endWhole) {
    return { days: undefined, raw: [{ from: start, to: end }] };
  }
  const raw: { from: Date; to: Date }[] = [];
  if (start !== undefined && firstWhole !== undefined && start < firstWhole) raw.push({ from: start, to: firstWhole });
  if (end !== undefined && endWhole !== undefined && endWhole < end) raw.push({ from: endWhole, to: end });
  const days: { from?: Date; to?: Date } = {};
  if (firstWhole !== undefined) days.from = firstWhole;
  if (endWhole !== undefined) days.to = endWhole;
  return { days, raw };
}

function filters(sql: postgres.Sql, q: UsageQuery, deployment: postgres.PendingQuery<postgres.Row[]>): postgres.PendingQuery<postgres.Row[]> {
  const parts = [
    q.userId === undefined ? undefined : sql`user_id = ${q.userId}`,
    q.keyId === undefined ? undefined : sql`key_id = ${q.keyId}`,
    q.model === undefined ? undefined : sql`model = ${q.model}`,
    q.deploymentId === undefined ? undefined : sql`${deployment} = ${q.deploymentId}`,
    q.teamId === undefined ? undefined : sql`team_id = ${q.teamId}`,
  ];
  return parts.reduce<postgres.PendingQuery<postgres.Row[]>>((all, p) => (p === undefined ? all : sql`${all} and ${p}`), sql`true`);
}

function reportRow(row: postgres.Row, dims: readonly ReportDimension[]): UsageReportRow {
  const labels: Partial<Record<LabelField, string>> = {};
  for (const d of dims) {
    const value = row[DIMENSIONS[d].column];
    if (typeof value !== "string") throw new Error(`usage report: column ${DIMENSIONS[d].column} is not text`);
    labels[DIMENSIONS[d].field] = value;
  }
  return {
    ...labels,
    requests: safeInt(row["requests"]),
    promptTokens: safeInt(row["prompt_tokens"]),
    cachedTokens: safeInt(row["cached_tokens"]),
    completionTokens: safeInt(row["completion_tokens"]),
    reasoningTokens: safeInt(row["reasoning_tokens"]),
    costMicroUsd: safeInt(row["cost_micro_usd"]),
  };
}

function totalOf(rows: readonly UsageSums[]): UsageSums {
  const sum = (k: keyof UsageSums): number => safeInt(String(rows.reduce((all, r) => all + BigInt(r[k]), 0n)));
  return {
    requests: sum("requests"),
    promptTokens: sum("promptTokens"),
    cachedTokens: sum("cachedTokens"),
    completionTokens: sum("completionTokens"),
    reasoningTokens: sum("reasoningTokens"),
    costMicroUsd: sum("costMicroUsd"),
  };
}

// Sums come back as exact decimal text; a sum past 2^53 would be silently rounded as a number.
function safeInt(value: unknown): number {
  if (typeof value !== "string" || !/^\d+$/.test(value)) throw new Error("usage report: a sum is not a whole number");
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`usage report: sum ${value} is beyond the exact integer range`);
  return n;
}

function floorDay(d: Date): Date {
  return new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
}

function ceilDay(d: Date): Date {
  return new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
