// The SSE parser against the ways a byte stream can split and frame events.
import { describe, expect, it } from "vitest";
import { sseBatches } from "../../src/upstream/sse.js";
import { chunkReader } from "../support/chunk-reader.js";

async function parse(...chunks: string[]): Promise<string[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const batch of sseBatches(chunkReader(source()))) for (const e of batch) out.push(e.data);
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
    for await (const batch of sseBatches(chunkReader(source()))) for (const e of batch) out.push(e.data);
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
    for await (const batch of sseBatches(chunkReader(source()))) out.push(...batch.map(({ event, data }) => ({ event, data })));
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
    for await (const batch of sseBatches(chunkReader(source()))) batches.push(batch.map((e) => e.data));
    expect(batches).toEqual([["a", "b"], ["c-still", "[DONE]"]]);
  });

  it("drops an unterminated event at the end of the stream", async () => {
    expect(await parse("data: complete\n\ndata: cut-off")).toEqual(["complete"]);
  });

  describe("an event's own bytes (frame), forwarded by the HTTP door instead of its text written again", () => {
    async function frames(...chunks: Array<string | Buffer>): Promise<Array<string | undefined>> {
      async function* source(): AsyncGenerator<Uint8Array> {
        for (const c of chunks) yield typeof c === "string" ? Buffer.from(c) : c;
      }
      const out: Array<string | undefined> = [];
      for await (const batch of sseBatches(chunkReader(source()))) for (const e of batch) out.push(e.frame?.toString());
      return out;
    }

    it("are kept for a `data: ` line alone or after one `event: ` line, multi-byte text and an event cut across reads included", async () => {
      expect(await frames('data: {"t":"é€😀"}\n\nevent: response.created\ndata: {}\n\ndata: sp', "lit\n", "\n")).toEqual([
        'data: {"t":"é€😀"}\n\n',
        "event: response.created\ndata: {}\n\n",
        "data: split\n\n",
      ]);
    });

    it("are not kept where writing the event again would change its bytes", async () => {
      expect(
        await frames(
          "data:no-space\n\n",
          "data: a\ndata: b\n\n",
          ": comment\ndata: c\n\n",
          "id: 7\ndata: d\n\n",
          "data: e\nevent: late\n\n",
          "event: one\nevent: two\ndata: f\n\n",
          "\n\ndata: g\n\n\ndata: h\n\n",
        ),
      ).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, "data: g\n\n", undefined]);
    });

    it("are not kept for bytes that are not UTF-8 (the text has replacement characters), nor once a line ends in \\r", async () => {
      expect(await frames(Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0x0a, 0x0a]), "data: ok\n\n")).toEqual([undefined, "data: ok\n\n"]);
      expect(await frames("data: a\n\n", "data: b\r\n\r\n", "data: c\n\n")).toEqual(["data: a\n\n", undefined, undefined]);
    });
  });

  it("reads a chunk reader as an upstream stream hands it over: held chunks at once, others later, the end, then its failure", async () => {
    const steps: (() => Uint8Array | null | Promise<Uint8Array | null>)[] = [
      () => Buffer.from("data: a\n\ndata: "),
      () => Promise.resolve(Buffer.from("b\n\n")),
      () => Buffer.from("data: c\n"),
      () => Promise.resolve(Buffer.from("\n")),
      () => null,
    ];
    const batches: string[][] = [];
    for await (const batch of sseBatches({ read: () => steps.shift()?.() ?? null })) batches.push(batch.map((e) => e.data));
    expect(batches).toEqual([["a"], ["b"], ["c"]]);

    const failing = sseBatches({
      read: () => {
        throw new Error("upstream reset");
      },
    });
    await expect(failing.next()).rejects.toThrow("upstream reset");
  });
});
