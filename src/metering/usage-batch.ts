// One batch of usage records into Postgres: raw rows and their daily rollup in a single statement.
import postgres from "postgres";
import type { UsageRecord } from "./record.js";

/*
 * The rows travel as ONE jsonb parameter unpacked by jsonb_to_recordset, so the statement text
 * is the same for every batch size: the `postgres` client prepares it once per connection,
 * where a VALUES list would prepare a new statement for each batch size (and embedded PGlite
 * never frees them). Behind a transaction pooler the client prepares nothing, and the
 * `prepare: true` below yields to that (src/store/database.ts). Raw insert and rollup upsert are one statement, hence one transaction: the
 * rollup adds exactly the rows the insert returned, so a replayed record (a conflict, not
 * returned) is never counted twice. Rollup rows are upserted in key order so two writers
 * touching the same keys lock them in the same order.
 */
const INSERT = `
with incoming as (
  select * from jsonb_to_recordset($1::text::jsonb) as r(
    request_id text, occurred_at timestamptz, user_id text, key_id text, model text,
    deployment_id text, region text, protocol text, streamed boolean, outcome text,
    prompt_tokens bigint, cached_tokens bigint, completion_tokens bigint, reasoning_tokens bigint,
    cost_micro_usd bigint, latency_ms integer, ttft_ms integer, estimated boolean, team_id text)
), inserted as (
  insert into usage_records (
    request_id, occurred_at, user_id, key_id, model, deployment_id, region, protocol, streamed, outcome,
    prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd, latency_ms, ttft_ms, estimated, team_id)
  select
    request_id, occurred_at, user_id, key_id, model, deployment_id, region, protocol, streamed, outcome,
    prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd, latency_ms, ttft_ms, estimated, team_id
  from incoming
  on conflict do nothing
  returning occurred_at, user_id, key_id, model, deployment_id, team_id,
    prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd
), rolled as (
  insert into usage_daily as d (
    day, user_id, key_id, model, deployment_id,
    requests, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, cost_micro_usd, team_id)
  -- A key determines its team (set at creation, never changed): team_id is carried, not grouped on.
  select (occurred_at at time zone 'UTC')::date, user_id, key_id, model, coalesce(deployment_id, ''),
    count(*), sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), sum(reasoning_tokens), sum(cost_micro_usd), max(team_id)
  from inserted
  group by 1, 2, 3, 4, 5
  order by 1, 2, 3, 4, 5
  on conflict (day, user_id, key_id, model, deployment_id) do update set
    requests = d.requests + excluded.requests,
    prompt_tokens = d.prompt_tokens + excluded.prompt_tokens,
    cached_tokens = d.cached_tokens + excluded.cached_tokens,
    completion_tokens = d.completion_tokens + excluded.completion_tokens,
    reasoning_tokens = d.reasoning_tokens + excluded.reasoning_tokens,
    cost_micro_usd = d.cost_micro_usd + excluded.cost_micro_usd
  returning 1
)
select (select count(*) from inserted)::int as inserted`;

/** Writes the records; returns how many were new (the rest were already stored). */
export async function insertBatch(sql: postgres.Sql, records: readonly UsageRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const [row] = await sql.unsafe(INSERT, [JSON.stringify(records.map(rowOf))], { prepare: true });
  const inserted = row?.["inserted"];
  if (typeof inserted !== "number") throw new Error("usage insert returned no row count");
  return inserted;
}

function rowOf(r: UsageRecord): Record<string, string | number | boolean | null> {
  return {
    request_id: r.requestId,
    occurred_at: r.occurredAt.toISOString(),
    user_id: r.userId,
    key_id: r.keyId,
    model: r.model,
    deployment_id: r.deploymentId,
    region: r.region,
    protocol: r.protocol,
    streamed: r.streamed,
    outcome: r.outcome,
    prompt_tokens: r.promptTokens,
    cached_tokens: r.cachedTokens,
    completion_tokens: r.completionTokens,
    reasoning_tokens: r.reasoningTokens,
    cost_micro_usd: r.costMicroUsd,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs,
    estimated: r.estimated,
    team_id: r.teamId,
  };
}

/**
 * A refusal that retrying cannot fix, caused by the rows themselves (SQLSTATE class 22, data
 * exception, or 23, integrity violation). Everything else, a lost connection, a shutdown, a
 * deadlock, a timeout, is worth retrying later.
 */
export function isRowError(e: unknown): boolean {
  return e instanceof postgres.PostgresError && (e.code.startsWith("22") || e.code.startsWith("23"));
}

/** A short, content-free name for a failure, for logs: the SQLSTATE or the client's error code. */
export function failureCode(e: unknown): string {
  if (e instanceof postgres.PostgresError) return e.code;
  if (e instanceof Error) {
    const code: unknown = Reflect.get(e, "code");
    return typeof code === "string" ? code : e.name;
  }
  return "unknown";
}
