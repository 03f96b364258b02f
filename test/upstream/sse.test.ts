// The SSE parser against the ways a byte stream can split and frame events.
import { describe, expect, it } from "vitest";
import { sseData } from "../../src/upstream/sse.js";

async function parse(...chunks: string[]): Promise<string[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const d of sseData(source())) out.push(d);
  return out;
}

describe("sseData", () => {
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
    for await (const d of sseData(source())) out.push(d);
    expect(out).toEqual(['{"t":"héllo"}']);
  });

  it("accepts CRLF and CR line endings, a CRLF split between chunks, and no space after the colon", async () => {
    expect(await parse("data:x\r", "\n\r\ndata: y\r\rdata: z\n\n")).toEqual(["x", "y", "z"]);
  });

  it("joins multi-line data and ignores comments and other fields", async () => {
    expect(await parse(": keep-alive\n\nevent: foo\nid: 7\ndata: a\ndata: b\n\n")).toEqual(["a\nb"]);
  });

  it("drops an unterminated event at the end of the stream", async () => {
    expect(await parse("data: complete\n\ndata: cut-off")).toEqual(["complete"]);
  });
});
