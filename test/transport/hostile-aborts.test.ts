// 1,000 streams abandoned halfway on each door: every upstream call is cancelled (the emulator sees it aborted) and the heap returns near its baseline.
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { NATURAL_COMPLETION_WORDS } from "../../src/emulator/tokens.js";
import { bearer, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { storedRecords, until } from "../support/usage-db.js";
import { CANARY, expectCleanLogs, heapAfterGc, heapGrowthSettled, heapSpaces, logEvents, MiB } from "./hostile-wire.js";

const STREAMS = 1000;
const WIDTH = 50;
// Long enough that no stream can finish before the client walks away from it.
const WORDS = 400;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
  t.emulator.setTiming({ answerWords: WORDS, chunkDelayMs: 5 });
});
afterAll(async () => {
  t.emulator.setTiming({ answerWords: NATURAL_COMPLETION_WORDS, chunkDelayMs: 0 });
  await t.close();
});

async function inBatches(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const body = JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: CANARY }] });
const aborted = (): number => t.emulator.requests.filter((r) => r.aborted).length;

/** Abandons `n` streams, `WIDTH` at a time, each right after its first event; returns how many had started. */
type Abandon = (n: number) => Promise<number>;

const recordsWritten = async (): Promise<number> => (await storedRecords(t.databaseUrl)).length;

/**
 * Runs a warm-up at full width first (sockets, pools, compiled code and the tokenizer that stay for good
 * belong in the baseline), then STREAMS abandoned streams: each upstream call must end aborted, and the
 * heap come back.
 */
async function abandonedStreamsLeaveNothing(abandon: Abandon): Promise<void> {
  const recordsBefore = await recordsWritten();
  await abandon(2 * WIDTH);
  await t.emulator.waitFor(() => aborted() === 2 * WIDTH, 30_000);
  // A cut stream's usage is counted by the local tokenizer, whose tables (some 20 MB of heap) load on first
  // use, in the background: on a busy machine that can end after the emulator saw the aborts. Each record
  // is written once counted, so once they are all written the tables are in the baseline.
  await until("the warm-up's usage records written", async () => (await recordsWritten()) >= recordsBefore + 2 * WIDTH, 30_000);
  t.emulator.clearRequests();
  const baseline = heapAfterGc();
  const spacesBefore = heapSpaces();
  const logsBefore = t.logs.length;
  expect(await abandon(STREAMS)).toBe(STREAMS);
  await t.emulator.waitFor(() => aborted() === STREAMS, 30_000);
  expect(t.emulator.requests.every((r) => r.stream && r.aborted)).toBe(true);
  const growth = await heapGrowthSettled(baseline, 16 * MiB);
  // Should it fail, say where the heap grew and what the gateway logged meanwhile.
  const why = growth < 16 * MiB ? "" : JSON.stringify({ spacesBefore, spacesAfter: heapSpaces(), logEvents: logEvents(t.logs.slice(logsBefore)) });
  expect(growth, why).toBeLessThan(16 * MiB);
}

describe("streams abandoned halfway", () => {
  it(`HTTP: ${STREAMS} streams cut after their first chunk cancel their upstream calls; the heap comes back`, async () => {
    const pool = new Pool(t.httpUrl, { connections: WIDTH });
    const abandon: Abandon = async (n) => {
      let started = 0;
      await inBatches(n, WIDTH, async () => {
        const controller = new AbortController();
        const res = await pool.request({
          path: "/v1/chat/completions",
          method: "POST",
          headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
          body,
          signal: controller.signal,
        });
        if (res.statusCode === 200) started++;
        await new Promise<void>((resolve) => {
          res.body.once("data", () => {
            controller.abort();
            resolve();
          });
          res.body.on("error", () => resolve());
        });
      });
      return started;
    };
    try {
      await abandonedStreamsLeaveNothing(abandon);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it(`gRPC: ${STREAMS} streams cancelled after their first message cancel their upstream calls; the heap comes back`, async () => {
    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: CANARY } }] });
    const abandon: Abandon = async (n) => {
      let started = 0;
      await inBatches(n, WIDTH, async () => {
        const stream = client.streamChatCompletion(req, bearer(t.apiKey));
        await new Promise<void>((resolve) => {
          stream.once("data", () => {
            started++;
            stream.cancel();
            resolve();
          });
          stream.on("error", () => resolve());
        });
      });
      return started;
    };
    try {
      t.emulator.clearRequests();
      await abandonedStreamsLeaveNothing(abandon);
    } finally {
      client.close();
    }
  }, 120_000);

  it("the gateway still serves, and no log line holds the canary", async () => {
    t.emulator.setTiming({ answerWords: NATURAL_COMPLETION_WORDS, chunkDelayMs: 0 });
    const pool = new Pool(t.httpUrl);
    try {
      const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" }, body });
      expect(res.statusCode).toBe(200);
      expect((await res.body.text()).endsWith("data: [DONE]\n\n")).toBe(true);
    } finally {
      await pool.close();
    }
    expectCleanLogs(t.logs);
  });
});
