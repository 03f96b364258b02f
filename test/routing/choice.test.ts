// How a pool shares its load: weights within a priority level, and prompt-cache affinity that raises Azure's cached-token share.
import { afterEach, describe, expect, it } from "vitest";
import type { TestGateway } from "../support/gateway.js";
import { storedRecords, until } from "../support/usage-db.js";
import { POOL_MODEL, seenBy, startPoolGateway, type PoolMember } from "./pool.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});


/** Runs `jobs` with at most `width` at a time. */
async function pooled<T>(jobs: ReadonlyArray<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

describe("weights", () => {
  it("3:1 weights over 4,000 requests land within ±5% of 75/25", async () => {
    const g = (t = await startPoolGateway([
      { id: "east", deployment: "gpt-4.1-east", weight: 3 },
      { id: "west", deployment: "gpt-4.1-west", weight: 1 },
    ]));
    g.emulator.setTiming({ answerWords: 1 });
    const sdk = gatewaySdk(g);
    const jobs = Array.from({ length: 4000 }, (_, i) => () => sdk.chat.completions.create({ model: POOL_MODEL, messages: [{ role: "user", content: `Question ${i}` }], max_tokens: 1 }));
    await pooled(jobs, 16);
    const seen = seenBy(g);
    const east = seen.get("gpt-4.1-east")?.length ?? 0;
    const west = seen.get("gpt-4.1-west")?.length ?? 0;
    expect(east + west).toBe(4000);
    expect(east / 4000).toBeGreaterThanOrEqual(0.7);
    expect(east / 4000).toBeLessThanOrEqual(0.8);
  }, 120_000);
});

describe("prompt-cache affinity", () => {
  const members: PoolMember[] = [
    { id: "ptu", deployment: "gpt-4.1-ptu" },
    { id: "paygo", deployment: "gpt-4.1-paygo" },
    { id: "east", deployment: "gpt-4.1-east" },
    { id: "west", deployment: "gpt-4.1-west" },
  ];
  // 40 long system prompts (each well over Azure's 1,024-token cache minimum), each asked about twice.
  const PREFIXES = 40;
  const systemPrompt = (p: number): string => `You are assistant number ${p}. ${"Follow the house style guide to the letter. ".repeat(120)}`;

  /** The share of prompt tokens Azure served from its cache, as the gateway metered it. */
  async function cachedShare(cacheAffinity: boolean): Promise<{ share: number; records: number }> {
    const g = (t = await startPoolGateway(members, { routing: { cacheAffinity } }));
    const sdk = gatewaySdk(g);
    for (let round = 0; round < 2; round++) {
      for (let p = 0; p < PREFIXES; p++) {
        await sdk.chat.completions.create({
          model: POOL_MODEL,
          max_tokens: 2,
          messages: [
            { role: "system", content: systemPrompt(p) },
            { role: "user", content: `Question ${round} about topic ${p}` },
          ],
        });
      }
    }
    await until("every request metered", async () => (await storedRecords(g.databaseUrl, { keyIds: [g.member.keyId] })).length === 2 * PREFIXES);
    const records = await storedRecords(g.databaseUrl, { keyIds: [g.member.keyId] });
    const prompt = records.reduce((n, r) => n + r.prompt_tokens, 0);
    const cached = records.reduce((n, r) => n + r.cached_tokens, 0);
    await g.close();
    t = undefined;
    return { share: cached / prompt, records: records.length };
  }

  it("at least doubles the cached-token share on a repeated-prefix workload", async () => {
    const off = await cachedShare(false);
    const on = await cachedShare(true);
    // With affinity every second ask of a prompt finds it cached: close to half of all prompt tokens.
    expect(on.share).toBeGreaterThan(0.4);
    expect(on.share).toBeGreaterThanOrEqual(2 * off.share);
  }, 120_000);
});
