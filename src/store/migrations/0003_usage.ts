// Usage metering: one raw row per served request (monthly partitions) and a daily rollup kept exactly in step.
import type { Migration } from "../migrate.js";

/*
 * usage_records holds exactly the UsageRecord fields (src/metering/record.ts), no text of any
 * prompt or completion. Ids are text without foreign keys: billing history outlives a deleted
 * user or key. Money is bigint micro-USD.
 *
 * Partitioned by month on occurred_at so retention drops a whole partition instead of deleting
 * rows. Partitions are created ahead of time by ensurePartitions (src/metering/partitions.ts),
 * named usage_records_pYYYYMM, bounds in UTC.
 *
 * Idempotency: Postgres requires the partition key in every unique constraint of a partitioned
 * table, so the key is (request_id, occurred_at), not request_id alone. A record replayed from
 * the writer's retry or spool carries the occurred_at it was first given (milliseconds, which
 * timestamptz holds exactly), so a replay always collides with its first copy and
 * `on conflict do nothing` drops it. Request ids are unique per request by contract; the key
 * does not police two different requests reusing an id at different times.
 *
 * usage_daily is maintained by the same statement that inserts raw rows: only rows that
 * insert returns (so never a replayed duplicate) are added to it, in one transaction, so the
 * rollup equals the sums of raw rows. Days are UTC. A request that reached no deployment is
 * rolled up under deployment_id '' because key columns cannot be null (NULLS NOT DISTINCT
 * would need Postgres 15; 14 is supported). Rollups are never dropped by retention.
 */
export const usage: Migration = {
  version: 3,
  name: "usage",
  sql: `
create table usage_records (
  request_id        text        not null,
  occurred_at       timestamptz not null,
  user_id           text        not null,
  key_id            text        not null,
  model             text        not null,
  deployment_id     text,
  region            text,
  protocol          text        not null check (protocol in ('grpc', 'http')),
  streamed          boolean     not null,
  outcome           text        not null,
  prompt_tokens     bigint      not null check (prompt_tokens >= 0),
  cached_tokens     bigint      not null check (cached_tokens >= 0),
  completion_tokens bigint      not null check (completion_tokens >= 0),
  reasoning_tokens  bigint      not null check (reasoning_tokens >= 0),
  cost_micro_usd    bigint      not null check (cost_micro_usd >= 0),
  latency_ms        integer     not null check (latency_ms >= 0),
  ttft_ms           integer              check (ttft_ms >= 0),
  estimated         boolean     not null,
  primary key (request_id, occurred_at)
) partition by range (occurred_at);
-- Partial-day reports scan a time range; BRIN suits rows that arrive roughly in time order and costs little per insert.
create index usage_records_time on usage_records using brin (occurred_at);
create index usage_records_user on usage_records (user_id, occurred_at);
create index usage_records_key on usage_records (key_id, occurred_at);

create table usage_daily (
  day               date   not null,
  user_id           text   not null,
  key_id            text   not null,
  model             text   not null,
  deployment_id     text   not null,
  requests          bigint not null,
  prompt_tokens     bigint not null,
  cached_tokens     bigint not null,
  completion_tokens bigint not null,
  reasoning_tokens  bigint not null,
  cost_micro_usd    bigint not null,
  primary key (day, user_id, key_id, model, deployment_id)
);
create index usage_daily_user on usage_daily (user_id, day);
create index usage_daily_key on usage_daily (key_id, day);
`,
};
