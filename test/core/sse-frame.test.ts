// The SSE frame layout: what the HTTP door writes (sseFrame), what the decoder keeps as an event's bytes, and what the relay reads back (sseFrameFields) are one layout.
import { describe, expect, it } from "vitest";
import { sseFrame, sseFrameFields } from "../../src/core/sse-frame.js";
import type { SseEvent } from "../../src/core/ports.js";
import { sseBatches } from "../../src/upstream/sse.js";
import { chunkReader } from "../support/chunk-reader.js";

async function decoded(bytes: Buffer): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const batch of sseBatches(chunkReader([bytes]))) out.push(...batch);
  return out;
}

const EVENTS: ReadonlyArray<{ event: string | undefined; data: string }> = [
  { event: undefined, data: '{"choices":[{"delta":{"content":"héllo 👋"}}]}' },
  { event: "response.output_text.delta", data: '{"type":"response.output_text.delta","delta":"€"}' },
  { event: undefined, data: "[DONE]" },
  { event: "error", data: "{}" },
  { event: "x", data: "" },
];

describe("the SSE frame layout", () => {
  it("writes events as the decoder keeps them whole, and reads a kept frame back to the same name and data", async () => {
    const written = EVENTS.map((e) => sseFrame(e.event, e.data));
    const events = await decoded(Buffer.from(written.join("")));
    expect(events.map(({ event, data }) => ({ event, data }))).toEqual(EVENTS);
    for (const [i, e] of events.entries()) {
      // Each written event is one the decoder forwards as its bytes: the writer's layout is the decoder's "plain" one.
      expect(e.frame?.toString("utf8"), `event ${i}`).toBe(written[i]);
      if (e.frame) expect(sseFrameFields(e.frame)).toEqual(EVENTS[i]);
    }
  });

  it("keeps no frame for events laid out otherwise, which the door then writes again as sseFrame lays them out", async () => {
    const others = ["data:x\n\n", "event: a\nid: 1\ndata: y\n\n", "data: a\ndata: b\n\n", "data: z\nevent: late\n\n", ": comment\ndata: c\n\n"];
    for (const text of others) {
      const [e] = await decoded(Buffer.from(text));
      expect(e?.frame, text).toBeUndefined();
      if (e) expect(sseFrame(e.event, e.data)).not.toBe(text);
    }
  });
});
