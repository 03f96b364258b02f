// 1,000 streams abandoned halfway on each door: every upstream call is cancelled (the emulator sees it aborted) and the heap returns near its baseline.
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { NATURAL_COMPLETION_WORDS } from "../../src/emulator/tokens.js";
import { bearer, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { CANARY, expectCleanLogs, heapAfterGc, heapGrowthSettled, MiB } from "./hostile-wire.js";

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

/**
 * Runs a warm-up at full width first (sockets, pools and compiled code that stay for good belong in the
 * baseline), then STREAMS abandoned streams: each upstream call must end aborted, and the heap come back.
 */
async function abandonedStreamsLeaveNothing(abandon: Abandon): Promise<void> {
  await abandon(2 * WIDTH);
  await t.emulator.waitFor(() => aborted() === 2 * WIDTH, 30_000);
  t.emulator.clearRequests();
  const baseline = heapAfterGc();
  expect(await abandon(STREAMS)).toBe(STREAMS);
  await t.emulator.waitFor(() => aborted() === STREAMS, 30_000);
  expect(t.emulator.requests.every((r) => r.stream && r.aborted)).toBe(true);
  expect(await heapGrowthSettled(baseline, 16 * MiB)).toBeLessThan(16 * MiB);
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
