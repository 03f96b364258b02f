// The HTTP stream writer sends an event's upstream bytes (its frame) where it has them and writes the others as text:
// the client reads the same bytes either way, whether frames sit side by side in one upstream read or not.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { settledAfterSend, type StreamEvent, type StreamResult } from "../../src/core/results.js";
import { openAiStream, textKeys } from "../../src/operations/openai-stream.js";
import { writeEventStream } from "../../src/transport/http/sse-writer.js";

const shape = openAiStream(() => undefined, textKeys(["content"]));

function event(raw: string, frame?: Buffer): StreamEvent {
  return { event: undefined, raw, frame, json: {}, reveals: [], sequence: undefined };
}

function streamOf(batches: readonly (readonly StreamEvent[])[], failure?: Error): StreamResult {
  return {
    kind: "stream",
    shape,
    upstream: undefined,
    settled: settledAfterSend({ outcome: "ok" }),
    close: () => undefined,
    async *[Symbol.asyncIterator]() {
      for (const b of batches) yield b;
      if (failure) throw failure;
    },
  };
}

let server: Server | undefined;
afterEach(() => server?.close());

/** The body a client reads when the writer sends `stream`. */
async function bodyOf(stream: StreamResult): Promise<Buffer> {
  server = createServer((_req, res) => void writeEventStream(res, stream));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return Buffer.from(await res.arrayBuffer());
}

it("forwards frames side by side, frames apart and text events alike, as the bytes the client would get from text alone", async () => {
  const read = Buffer.from('data: {"a":"é"}\n\ndata: {"usage":1}\n\ndata: {"b":"😀"}\n\n');
  const first = read.subarray(0, read.indexOf("\n\n") + 2);
  const third = read.subarray(read.indexOf('data: {"b"'));
  const other = Buffer.from('data: {"c":3}\n\n');
  const body = await bodyOf(
    streamOf([
      // The usage chunk between them is not forwarded: its neighbours' frames are not adjacent.
      [event('{"a":"é"}', first), event('{"b":"😀"}', third)],
      [event('{"text":"no frame"}'), event('{"c":3}', other)],
    ]),
  );
  expect(body.toString()).toBe('data: {"a":"é"}\n\ndata: {"b":"😀"}\n\ndata: {"text":"no frame"}\n\ndata: {"c":3}\n\ndata: [DONE]\n\n');
});

it("a stream cut after frames ends with its error event and no [DONE]", async () => {
  const read = Buffer.from('data: {"a":1}\n\ndata: {"a":2}\n\n');
  const body = await bodyOf(streamOf([[event('{"a":1}', read.subarray(0, 15)), event('{"a":2}', read.subarray(15))]], new Error("cut")));
  const text = body.toString();
  expect(text.startsWith('data: {"a":1}\n\ndata: {"a":2}\n\ndata: {"error":')).toBe(true);
  expect(text).not.toContain("[DONE]");
});
