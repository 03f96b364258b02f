// The HTTP stream writer gathers the events of one upstream read into one write (src/transport/http/sse-writer.ts):
// an answer Azure sends at once leaves in a few chunked-encoding frames, not one per event, with every event intact
// and in order; events Azure paces still leave one by one, as they come.
import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));

/** The raw response to one streamed chat request, split into its chunked-encoding frames (with arrival times). */
async function frames(words: number): Promise<{ frames: string[]; at: number[] }> {
  const url = new URL(t.httpUrl);
  const body = JSON.stringify({ model: "gpt-4o", stream: true, max_tokens: words, messages: [{ role: "user", content: "go on" }] });
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  let raw = "";
  const arrivals: { length: number; at: number }[] = [];
  socket.on("data", (d: Buffer) => {
    raw += d.toString("latin1");
    arrivals.push({ length: raw.length, at: performance.now() });
  });
  await new Promise<void>((resolve) => socket.once("close", resolve));
  let at = raw.indexOf("\r\n\r\n") + 4;
  const out: string[] = [];
  const times: number[] = [];
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    const size = parseInt(raw.slice(at, eol), 16);
    if (!(size > 0)) break;
    out.push(raw.slice(eol + 2, eol + 2 + size));
    times.push(arrivals.find((a) => a.length >= eol + 2 + size)?.at ?? Number.NaN);
    at = eol + 2 + size + 2;
  }
  return { frames: out, at: times };
}

it("an answer Azure sends at once leaves in a few frames holding every event in order", async () => {
  t.emulator.setTiming({ answerWords: 40 });
  const { frames: got } = await frames(40);
  const events = got.join("").split("\n\n").filter((e) => e !== "");
  expect(events.at(-1)).toBe("data: [DONE]");
  // Role, 40 words, finish, (no usage asked for), [DONE]: each a whole event.
  expect(events.length).toBeGreaterThanOrEqual(42);
  for (const e of events.slice(0, -1)) expect(() => JSON.parse(e.replace(/^data: /, ""))).not.toThrow();
  const text = events.slice(0, -1).map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "").join("");
  expect(text.trim().split(/\s+/)).toHaveLength(40);
  expect(got.length).toBeLessThan(events.length / 4);
});

it("events Azure paces leave as they come, not held for the next", async () => {
  t.emulator.setTiming({ answerWords: 5, chunkDelayMs: 60 });
  const { frames: got, at } = await frames(5);
  expect(got.length).toBeGreaterThanOrEqual(5);
  // Each paced word went out on its own, about the pace apart.
  const gaps = at.slice(1).map((x, i) => x - (at[i] ?? x));
  expect(gaps.filter((g) => g > 30).length).toBeGreaterThanOrEqual(4);
});
