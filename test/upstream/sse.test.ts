// The SSE parser against the ways a byte stream can split and frame events.
import { describe, expect, it } from "vitest";
import { sseBatches } from "../../src/upstream/sse.js";

async function parse(...chunks: string[]): Promise<string[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const batch of sseBatches(source())) for (const e of batch) out.push(e.data);
  return out;
}

describe("sseBatches", () => {
  it("yields each event's data", async () => {
    expect(await parse('data: {"a":1}\n\ndata: [DONE]\n\n')).toEqual(['{"a":1}', "[DONE]"]);
  });

  it("joins events split anywhere across chunks, including inside a UTF-8 character", async () => {
    const text = 'data: {"t":"héllo"}\n\n';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    async function* source(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut);
    }
    const out: string[] = [];
    for await (const batch of sseBatches(source())) for (const e of batch) out.push(e.data);
    expect(out).toEqual(['{"t":"héllo"}']);
  });

  it("accepts CRLF and CR line endings, a CRLF split between chunks, and no space after the colon", async () => {
    expect(await parse("data:x\r", "\n\r\ndata: y\r\rdata: z\n\n")).toEqual(["x", "y", "z"]);
  });

  it("joins multi-line data and ignores comments and other fields", async () => {
    expect(await parse(": keep-alive\n\nevent: foo\nid: 7\ndata: a\ndata: b\n\n")).toEqual(["a\nb"]);
  });

  it("names each event by its last event: line, and forgets the name at the event's end", async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("event: response.created\ndata: {}\n\nevent:x\nevent: response.completed\ndata: 1\n\ndata: 2\n\n");
    }
    const out: Array<{ event: string | undefined; data: string }> = [];
    for await (const batch of sseBatches(source())) out.push(...batch);
    expect(out).toEqual([
      { event: "response.created", data: "{}" },
      { event: "response.completed", data: "1" },
      { event: undefined, data: "2" },
    ]);
  });

  it("gives the events one chunk completes as one batch, and no batch for a chunk that completes none", async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("data: a\n\ndata: b\n\ndata: c");
      yield Buffer.from("-still");
      yield Buffer.from("\n\ndata: [DONE]\n\n");
    }
    const batches: string[][] = [];
    for await (const batch of sseBatches(source())) batches.push(batch.map((e) => e.data));
    expect(batches).toEqual([["a", "b"], ["c-still", "[DONE]"]]);
  });

  it("drops an unterminated event at the end of the stream", async () => {
    expect(await parse("data: complete\n\ndata: cut-off")).toEqual(["complete"]);
  });
});
