// No record lost: Postgres stopped and restarted during a load, and SIGTERM during a load.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startReplica } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.js";
import { storedRecords, until } from "../support/usage-db.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Answer {
  readonly id: string;
  readonly status: number;
}

/** `workers` clients calling in a loop until `stop` resolves; every answer the clients saw, with its request id. */
async function load(url: string, key: string, workers: number, stop: Promise<void>, stream: boolean): Promise<Answer[]> {
  let done = false;
  void stop.then(() => (done = true));
  const seen: Answer[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done) {
        try {
          const res = await request(`${url}/v1/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({ model: "gpt-4o", max_tokens: 6, stream, messages: [{ role: "user", content: "durable" }] }),
          });
          const text = await res.body.text();
          // A stream counts as answered only once it ended with [DONE].
          if (!stream || text.endsWith("data: [DONE]\n\n")) seen.push({ id: String(res.headers["x-request-id"]), status: res.statusCode });
        } catch {
          // the gateway is going away (shutdown test): stop this worker
          await sleep(20);
        }
      }
    }),
  );
  return seen;
}

describe("Postgres outage", () => {
  let pg: PrivatePostgres;
  let t: TestGateway;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    t = await startTestGateway({}, (c) => ({ ...c, database: { url: pg.url, listenUrl: undefined, maxConnections: 10 } }));
  });
  afterAll(async () => {
    await t.close();
    await pg.destroy();
  });

  it("stopped during a load, then restarted: zero records lost, zero duplicated", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const outage = (async () => {
      await sleep(400);
      await pg.stop();
      await sleep(1500);
      await pg.start();
      await sleep(300);
    })();
    const answers = await load(t.httpUrl, u.apiKey, 6, outage, false);
    // No database round trip on the request path: every request was served through the outage.
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
    await until("every answered request stored", async () => (await storedRecords(pg.url, { keyIds: [u.keyId] })).length >= answers.length, 20_000);
    const records = await storedRecords(pg.url, { keyIds: [u.keyId] });
    expect(records.map((r) => r.request_id).sort()).toEqual(answers.map((a) => a.id).sort());
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [counts] = await sql<Array<{ rows: number; ids: number }>>`
      select count(*)::int as rows, count(distinct request_id)::int as ids from usage_records where key_id = ${u.keyId}`;
    const [rollup] = await sql<Array<{ requests: number }>>`select coalesce(sum(requests), 0)::int as requests from usage_daily where key_id = ${u.keyId}`;
    await sql.end();
    expect(counts).toEqual({ rows: answers.length, ids: answers.length });
    expect(rollup?.requests).toBe(answers.length);
  });
});

describe("graceful shutdown", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it("SIGTERM during a load of streams: every answered request is stored", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ chunkDelayMs: 25 });
    const replica = await startReplica(t);
    let exitCode: number | null = null;
    const stop = (async () => {
      await sleep(800);
      exitCode = await replica.stop("SIGTERM");
    })();
    const answers = await load(replica.httpUrl, u.apiKey, 6, stop, true);
    t.emulator.setTiming({ chunkDelayMs: 0 });
    expect(exitCode).toBe(0);
    expect(answers.length).toBeGreaterThan(6);
    expect(replica.stdout()).toContain('"gateway.stopped"');
    // The process has exited: whatever it answered is in the table now, not in a buffer.
    const records = await storedRecords(t.databaseUrl, { keyIds: [u.keyId] });
    const stored = new Set(records.map((r) => r.request_id));
    expect(answers.filter((a) => !stored.has(a.id))).toEqual([]);
    expect(records.filter((r) => r.outcome === "ok").length).toBeGreaterThanOrEqual(answers.length);
  });
});
