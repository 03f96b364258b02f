// insertBatch on the real Postgres: each record field lands in its own column, exactly, and one prepared statement serves every batch size.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensurePartitions } from "../../src/metering/partitions.js";
import { RECORD_FIELDS, USAGE_COLUMNS, type UsageRecord } from "../../src/metering/record.js";
import { insertBatch } from "../../src/metering/usage-batch.js";
import { makeRecords, usageDatabase, type UsageDatabase } from "./fixtures.js";

const AT = new Date("2026-11-29T10:11:12.345Z");
const MAX_INT4 = 2_147_483_647;

let db: UsageDatabase;

beforeAll(async () => {
  // One connection, so the prepared statements counted below are all of them.
  db = await usageDatabase(1);
  await ensurePartitions(db.sql, AT);
});

afterAll(async () => {
  await db?.close();
});

// Rows travel by position: with every value different, a field sent to another column shows.
const distinct: UsageRecord = {
  requestId: 'id "quoted" \\ é 😀',
  occurredAt: AT,
  userId: "user-a",
  keyId: "key-b",
  model: "gpt-4o",
  deploymentId: "dep-c",
  region: "swedencentral",
  protocol: "grpc",
  streamed: true,
  outcome: "upstream_error:timeout",
  promptTokens: Number.MAX_SAFE_INTEGER,
  cachedTokens: Number.MAX_SAFE_INTEGER - 1,
  completionTokens: Number.MAX_SAFE_INTEGER - 2,
  reasoningTokens: Number.MAX_SAFE_INTEGER - 3,
  costMicroUsd: Number.MAX_SAFE_INTEGER - 4,
  latencyMs: MAX_INT4,
  ttftMs: MAX_INT4 - 1,
  estimated: false,
  teamId: "team-d",
};
const nulls: UsageRecord = { ...distinct, requestId: "nulls", deploymentId: null, region: null, ttftMs: null, teamId: null };

// Both sides as text, so a bigint read back as a string compares with the number sent.
function asText(v: unknown): string | null {
  return v === null ? null : v instanceof Date ? v.toISOString() : String(v);
}

it("stores every field in its own column, exactly", async () => {
  expect(await insertBatch(db.sql, [distinct, nulls])).toBe(2);
  for (const record of [distinct, nulls]) {
    const [row] = await db.sql`select * from usage_records where request_id = ${record.requestId}`;
    expect(USAGE_COLUMNS.map((c) => asText(row?.[c]))).toEqual(RECORD_FIELDS.map((f) => asText(record[f])));
  }
  expect(await insertBatch(db.sql, [distinct, nulls])).toBe(0);
});

it("prepares one statement for every batch size", async () => {
  for (const n of [1, 2, 3, 17]) await insertBatch(db.sql, makeRecords(n, `size${n}`));
  // The text searched for is a parameter, so this query's own statement does not match it.
  const [prepared] = await db.sql`select count(*)::int as n from pg_prepared_statements where position(${"into usage_daily"} in statement) > 0`;
  expect(prepared?.["n"]).toBe(1);
});
