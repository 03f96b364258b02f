// Shared by the metering suites: varied usage records, a migrated fresh database, a temp dir, polling, and table sums.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import type { UsageRecord } from "../../src/metering/record.js";
import { freshDatabase } from "../support/postgres.js";

const MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o4-mini", "text-embedding-3-small"];

/** Record number i of a run: fields vary with i so rollups have many keys; prefix keeps runs apart. */
export function makeRecord(i: number, prefix = "req", over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `${prefix}-${i}`,
    occurredAt: new Date(Date.UTC(2026, 10, 29, 0, 0, 0) + i * 7),
    userId: `user-${i % 7}`,
    keyId: `key-${i % 13}`,
    model: MODELS[i % MODELS.length] ?? "gpt-4o",
    deploymentId: i % 10 === 0 ? null : `dep-${i % 3}`,
    region: i % 10 === 0 ? null : "swedencentral",
    protocol: i % 2 === 0 ? "http" : "grpc",
    streamed: i % 3 === 0,
    outcome: i % 17 === 0 ? "client_cancelled" : "ok",
    promptTokens: 100 + (i % 50),
    cachedTokens: i % 4 === 0 ? 64 : 0,
    completionTokens: 20 + (i % 30),
    reasoningTokens: i % 5 === 0 ? 8 : 0,
    costMicroUsd: 1_000 + i,
    latencyMs: 200 + (i % 100),
    ttftMs: i % 3 === 0 ? 50 : null,
    estimated: i % 17 === 0,
    teamId: null,
    ...over,
  };
}

export function makeRecords(n: number, prefix = "req", from = 0): UsageRecord[] {
  return Array.from({ length: n }, (_, k) => makeRecord(from + k, prefix));
}

export interface UsageDatabase {
  readonly url: string;
  readonly sql: postgres.Sql;
  close(): Promise<void>;
}

/** A fresh database on the shared Postgres with every migration applied (usage rows name teams since migration 9). */
export async function usageDatabase(max = 4): Promise<UsageDatabase> {
  const db = await freshDatabase();
  const sql = postgres(db.url, { max, onnotice: () => {} });
  await migrate(sql, migrations);
  return {
    url: db.url,
    sql,
    async close() {
      await sql.end({ timeout: 1 });
      await db.drop();
    },
  };
}

export async function tempDir(name: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `aik-${name}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Spool files (usage-*.jsonl) and their lines. A file the writer replays and unlinks between the
 * listing and the read is gone, so it counts as neither a file nor lines (CI once read one mid-replay).
 */
export async function spoolLines(dir: string): Promise<{ files: string[]; lines: string[] }> {
  const listed = (await readdir(dir).catch(() => [])).filter((f) => f.startsWith("usage-")).sort();
  const files: string[] = [];
  const lines: string[] = [];
  for (const f of listed) {
    const text = await readFile(join(dir, f), "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (text === undefined) continue;
    files.push(f);
    lines.push(...text.split("\n").filter((l) => l !== ""));
  }
  return { files, lines };
}

export async function storedIds(sql: postgres.Sql): Promise<{ rows: number; distinct: number }> {
  const [row] = await sql`select count(*)::int as rows, count(distinct request_id)::int as distinct from usage_records`;
  return { rows: Number(row?.["rows"]), distinct: Number(row?.["distinct"]) };
}

/** Rollup rows and the same sums computed from raw rows, both as sorted text for comparison. */
export async function rollupVersusRaw(sql: postgres.Sql): Promise<{ rollup: string[]; raw: string[] }> {
  const rollup = await sql`
    select day::text, user_id, key_id, model, deployment_id, requests::text, prompt_tokens::text, cached_tokens::text,
      completion_tokens::text, reasoning_tokens::text, cost_micro_usd::text
    from usage_daily order by 1, 2, 3, 4, 5`;
  const raw = await sql`
    select ((occurred_at at time zone 'UTC')::date)::text as day, user_id, key_id, model, coalesce(deployment_id, '') as deployment_id,
      count(*)::text as requests, sum(prompt_tokens)::text as prompt, sum(cached_tokens)::text as cached,
      sum(completion_tokens)::text as completion, sum(reasoning_tokens)::text as reasoning, sum(cost_micro_usd)::text as cost
    from usage_records group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5`;
  const text = (rows: postgres.RowList<postgres.Row[]>) => rows.map((r) => Object.values(r).join("|"));
  return { rollup: text(rollup), raw: text(raw) };
}

/** A loopback port nothing listens on (a Postgres that is down, or a place to start one). */
export { freePort } from "../support/ports.js";
