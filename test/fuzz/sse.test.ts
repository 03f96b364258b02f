// Properties of the SSE parser: any byte stream, split at any points, yields the same events as unsplit; well-formed streams yield what the spec says.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SseEvent } from "../../src/core/ports.js";
import { sseBatches } from "../../src/upstream/sse.js";
import { chunkReader } from "../support/chunk-reader.js";
import { RUNS } from "./arbitraries.js";

/** The events' names and data; each event's own bytes, where it has them, checked to be exactly how it is written again. */
async function parse(chunks: readonly Uint8Array[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield c;
  }
  for await (const batch of sseBatches(chunkReader(source()))) {
    // A batch is never empty: a chunk that completes no event yields nothing.
    if (batch.length === 0) throw new Error("an empty batch");
    for (const e of batch) {
      if (e.frame !== undefined) expect(e.frame.equals(Buffer.from(framed(e)))).toBe(true);
      out.push({ event: e.event, data: e.data });
    }
  }
  return out;
}

/** How the HTTP door writes an event as text. */
function framed(e: SseEvent): string {
  return e.event === undefined ? `data: ${e.data}\n\n` : `event: ${e.event}\ndata: ${e.data}\n\n`;
}

/** The bytes cut at the given offsets (sorted, deduplicated, empty chunks kept: a network read can be empty). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

const EOL = fc.constantFrom("\n", "\r\n", "\r");
// Field values: any text without line breaks, multi-byte characters included (they must survive any cut).
const value = fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ""));
const line = fc.oneof(
  fc.tuple(fc.constantFrom("data:", "data: ", "event:", "event: ", "id: ", "retry: ", ": ", ":"), value).map(([f, v]) => `${f}${v}`),
  value,
);
// A stream of SSE-looking lines with mixed line endings and blank lines between.
const sseText = fc.array(fc.tuple(fc.oneof(line, fc.constant("")), EOL), { maxLength: 16 }).map((lines) => lines.map(([l, e]) => `${l}${e}`).join(""));
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe("sseBatches", () => {
  it("text streams: splitting anywhere changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(sseText, cuts, async (text, at) => {
        const bytes = new TextEncoder().encode(text);
        expect(await parse(split(bytes, at))).toEqual(await parse([bytes]));
      }),
      RUNS,
    );
  });

  it("arbitrary bytes (invalid UTF-8, lone CRs, NULs): splitting anywhere changes nothing", async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(fc.constantFrom(...[0x0a, 0x0d, 0x3a, 0x20, 0x64, 0x61, 0x74, 0xe2, 0x82, 0xac, 0xff, 0x00]), { maxLength: 64 }).map((a) => Uint8Array.from(a)));
    await fc.assert(
      fc.asyncProperty(bytes, cuts, async (b, at) => {
        expect(await parse(split(b, at))).toEqual(await parse([b]));
      }),
      RUNS,
    );
  });

  it("well-formed events come out as sent, whichever line ending each line uses and wherever the stream is cut", async () => {
    const event = fc.record({ event: fc.option(value.filter((v) => v !== ""), { nil: undefined }), data: fc.array(value, { minLength: 1, maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 6 }), EOL, cuts, async (events, eol, at) => {
        const text = events
          .map((e) => `${e.event === undefined ? "" : `event: ${e.event}${eol}`}${e.data.map((d) => `data: ${d}${eol}`).join("")}${eol}`)
          .join("");
        const got = await parse(split(new TextEncoder().encode(text), at));
        expect(got).toEqual(events.map((e) => ({ event: e.event, data: e.data.join("\n") })));
      }),
      RUNS,
    );
  });

  it("events written as the HTTP door writes them, lines ending in \\n: each keeps its bytes, and they add up to the stream, wherever it is cut", async () => {
    const event = fc.record({ event: fc.option(value, { nil: undefined }), data: value });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 6 }), cuts, async (events, at) => {
        const bytes = Buffer.from(events.map(framed).join(""));
        const frames: Buffer[] = [];
        async function* source(): AsyncGenerator<Uint8Array> {
          yield* split(bytes, at);
        }
        for await (const batch of sseBatches(chunkReader(source()))) for (const e of batch) frames.push(e.frame ?? Buffer.alloc(0));
        expect(frames.map((f) => f.toString())).toEqual(events.map(framed));
        expect(Buffer.concat(frames).equals(bytes)).toBe(true);
      }),
      RUNS,
    );
  });
});
