// One batch of usage records into Postgres: raw rows and their daily rollup in a single statement.
import postgres from "postgres";
import { USAGE_COLUMNS, type UsageRecord } from "./record.js";

/*
 * The rows travel as ONE jsonb parameter unpacked by jsonb_array_elements, so the statement text
 * is the same for every batch size: the `postgres` client prepares it once per connection,
 * where a VALUES list would prepare a new statement for each batch size (and embedded PGlite
 * never frees them). Behind a transaction pooler the client prepares nothing, and the
 * `prepare: true` below yields to that (src/store/database.ts). Raw insert and rollup upsert are one statement, hence one transaction: the
 * rollup adds exactly the rows the insert returned, so a replayed record (a conflict, not
 * returned) is never counted twice. Rollup rows are upserted in key order so two writers
 * touching the same keys lock them in the same order.
 *
 * Each row is a JSON array of its fields in the table's column order, USAGE_COLUMNS: without a
 * key per field a row is about 150 bytes instead of 395, less for the gateway to build and write
 * and for Postgres to parse. The statement reads element i as column i, numbered from that one
 * list, never by hand; rowOf writes the fields in the same order (test/metering/usage-batch.test.ts
 * holds every field to its column). JSON null stays SQL null, and the counts stay exact: they
 * are safe integers (checkRecord), which jsonb keeps digit for digit.
 */
// The cast from the element's text to each column's type; text columns need none.
const CASTS: Readonly<Record<string, string>> = {
  occurred_at: "::timestamptz",
  streamed: "::boolean",
  prompt_tokens: "::bigint",
  cached_tokens: "::bigint",
  completion_tokens: "::bigint",
  reasoning_tokens: "::bigint",
  cost_micro_usd: "::bigint",
  latency_ms: "::integer",
  ttft_ms: "::integer",
  estimated: "::boolean",
};
const FIELDS = USAGE_COLUMNS.map((column, i) => `(e->>${i})${CASTS[column] ?? ""} as ${column}`).join(",\n    ");

const INSERT = `
with incoming as (
  select
    ${FIELDS}
  from jsonb_array_elements($1::text::jsonb) as e
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

// In USAGE_COLUMNS order. The timestamp is made a string here: a Date left to JSON.stringify (its
// toJSON) takes V8's slow path, which costs half again the time of the whole row.
function rowOf(r: UsageRecord): (string | number | boolean | null)[] {
  return [
    r.requestId, r.occurredAt.toISOString(), r.userId, r.keyId, r.model, r.deploymentId, r.region, r.protocol, r.streamed, r.outcome,
    r.promptTokens, r.cachedTokens, r.completionTokens, r.reasoningTokens, r.costMicroUsd, r.latencyMs, r.ttftMs, r.estimated, r.teamId,
  ];
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
