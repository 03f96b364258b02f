// Hostile request bodies over HTTP: nesting, size, encodings and names that could reach a URL, header or log; each a clear refusal or a bound.
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { CANARY, envelopeOf, expectCleanLogs, expectRefusal, MiB, nestedJson, type Answer } from "./hostile-wire.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${t.httpUrl}${path}`, {
    method: "POST",
    body,
    headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json", ...headers },
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: envelopeOf(text) };
}

const DEEP = 100_000;
const messages = [{ role: "user", content: CANARY }];
const chat = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: "gpt-4o", messages, ...extra });
/** A chat body with `raw` (JSON text) as the value of `key`: JSON.stringify cannot build 100,000 levels. */
const chatWith = (key: string, raw: string): string => `${JSON.stringify(chat()).slice(0, -1)},${JSON.stringify(key)}:${raw}}`;
const CLASSIC = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";

interface Expect {
  readonly status: number | readonly number[];
  readonly code?: string;
  readonly param?: string;
  /** Requests the emulator may see (0: refused before any upstream call). */
  readonly upstream: number;
}
type Case = readonly [label: string, path: string, body: string | Buffer, expect: Expect];

const invalid = (param?: string): Expect => ({ status: 400, param, upstream: 0 });
const badModel: Expect = { status: 400, param: "model", upstream: 0 };
const encoding: Expect = { status: 400, code: "invalid_encoding", upstream: 0 };
const utf8 = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

describe("hostile JSON bodies over HTTP", () => {
  const cases: Case[] = [
    // Nesting: JSON.parse copes, but every recursive walk after it (re-serialization, token estimates) must not.
    [`a body that is an array nested ${DEEP} deep`, "/v1/chat/completions", nestedJson(DEEP), invalid()],
    [`a body that is an object nested ${DEEP} deep`, "/v1/chat/completions", nestedJson(DEEP, '{"a":', "}", "{}"), invalid()],
    [`an array nested ${DEEP} deep in a forwarded field`, "/v1/chat/completions", chatWith("x_extension", nestedJson(DEEP)), invalid()],
    [`an object nested ${DEEP} deep in a forwarded field`, "/v1/chat/completions", chatWith("metadata", nestedJson(DEEP, '{"a":', "}", "1")), invalid()],
    [`message content nested ${DEEP} deep`, "/v1/chat/completions", JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "@" }] }).replace('"@"', nestedJson(DEEP)), invalid()],
    [`tool parameters nested ${DEEP} deep`, "/v1/chat/completions", chatWith("tools", `[{"type":"function","function":{"name":"f","parameters":${nestedJson(DEEP, '{"a":', "}", "{}")}}}]`), invalid()],
    [`nesting ${DEEP} deep on the Azure classic route`, CLASSIC, chatWith("x_extension", nestedJson(DEEP)), invalid()],
    [`embeddings input nested ${DEEP} deep`, "/v1/embeddings", `{"model":"text-embedding-3-small","input":${nestedJson(DEEP)}}`, invalid()],
    [`responses input nested ${DEEP} deep`, "/v1/responses", `{"model":"gpt-4o-mini","input":${nestedJson(DEEP)}}`, invalid()],
    [`completions prompt nested ${DEEP} deep`, "/v1/completions", `{"model":"gpt-35-turbo-instruct","prompt":${nestedJson(DEEP)}}`, invalid()],
    // The bound is the gateway's own (1,000), the same on every Node line, not where a serializer overflows.
    ["a forwarded field nested 998 deep (1,000 with the body) goes up as it is", "/v1/chat/completions", chatWith("x_extension", nestedJson(998)), { status: 200, upstream: 1 }],
    ["a forwarded field nested 1,000 deep (past the bound with the body) is refused", "/v1/chat/completions", chatWith("x_extension", nestedJson(1_000)), invalid()],
    ["a forwarded field nested 32 deep (a real JSON schema's depth) goes up as it is", "/v1/chat/completions", chatWith("x_extension", nestedJson(32)), { status: 200, upstream: 1 }],
    // Invalid UTF-8 anywhere in the body: refused before parsing, never replaced with U+FFFD and forwarded.
    ["an overlong '/' (C0 AF) in content", "/v1/chat/completions", utf8('{"model":"gpt-4o","messages":[{"role":"user","content":"a', [0xc0, 0xaf], '"}]}'), encoding],
    ["a UTF-16 surrogate (ED A0 80) in content", "/v1/chat/completions", utf8('{"model":"gpt-4o","messages":[{"role":"user","content":"', [0xed, 0xa0, 0x80], '"}]}'), encoding],
    ["a Latin-1 byte (E9) in the model", "/v1/chat/completions", utf8('{"model":"gpt-4o', [0xe9], '","messages":[]}'), encoding],
    ["a sequence cut at the end of the body", "/v1/chat/completions", utf8(JSON.stringify(chat()), [0xe2, 0x82]), encoding],
    ["a code point past U+10FFFF (F4 90 80 80)", "/v1/embeddings", utf8('{"model":"text-embedding-3-small","input":"', [0xf4, 0x90, 0x80, 0x80], '"}'), encoding],
    ["a body in UTF-16 with a byte-order mark", "/v1/chat/completions", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(chat()), "utf16le")]), { status: 400, upstream: 0 }],
    // Names reach the upstream URL, span attributes and logs: control characters are refused and never echoed.
    ["a NUL in the model", "/v1/chat/completions", JSON.stringify(chat({ model: `gpt-4o\u0000${CANARY}` })), badModel],
    ["CR/LF and a header in the model", "/v1/chat/completions", JSON.stringify(chat({ model: `gpt-4o\r\nX-Injected: ${CANARY}` })), badModel],
    ["a bare LF in the model", "/v1/chat/completions", JSON.stringify(chat({ model: `${CANARY}\n` })), badModel],
    ["a percent-encoded CR/LF in the model", "/v1/chat/completions", JSON.stringify(chat({ model: "gpt-4o%0d%0aX-Injected:%201" })), badModel],
    ["a raw (unescaped) NUL inside a JSON string", "/v1/chat/completions", `{"model":"gpt-4o\u0000","messages":[]}`, { status: 400, code: "invalid_json", upstream: 0 }],
    ["a 10,000-character model", "/v1/chat/completions", JSON.stringify(chat({ model: "m".repeat(10_000) })), badModel],
    ["a right-to-left override in the model", "/v1/chat/completions", JSON.stringify(chat({ model: "\u202egpt-4o" })), badModel],
    ["a NUL in an embeddings model", "/v1/embeddings", JSON.stringify({ model: "text-embedding-3-small\u0000", input: CANARY }), badModel],
    ["CR/LF in a completions model", "/v1/completions", JSON.stringify({ model: "gpt-35-turbo-instruct\r\nX: 1", prompt: CANARY }), badModel],
    ["CR/LF in a responses model", "/v1/responses", JSON.stringify({ model: "gpt-4o-mini\r\nX: 1", input: CANARY }), badModel],
    ["CR/LF in previous_response_id", "/v1/responses", JSON.stringify({ model: "gpt-4o-mini", input: CANARY, previous_response_id: "resp_a\r\nX: 1" }), invalid("previous_response_id")],
    ["a NUL in an item reference id", "/v1/responses", JSON.stringify({ model: "gpt-4o-mini", input: [{ type: "item_reference", id: "msg_a\u0000" }] }), invalid("input[0].id")],
    ["CR/LF in a routing override (api_version)", "/v1/chat/completions", JSON.stringify(chat({ api_version: "2024-10-21\r\nX: 1" })), invalid("api_version")],
    // Fields the gateway does not read go up as they are: the canary in them reaches Azure, never a log.
    ["CR/LF and the canary in `user` (forwarded, not logged)", "/v1/chat/completions", JSON.stringify(chat({ user: `${CANARY}\r\nX-Injected: 1` })), { status: 200, upstream: 1 }],
    ["`__proto__` and `constructor` keys are plain data", "/v1/chat/completions", `${JSON.stringify(chat()).slice(0, -1)},"__proto__":{"stream":true,"api_base":"x"},"constructor":{"prototype":1}}`, { status: 200, upstream: 1 }],
    ["max_tokens of 1e400 (Infinity after parsing)", "/v1/chat/completions", `${JSON.stringify(chat()).slice(0, -1)},"max_tokens":1e400}`, invalid("max_tokens")],
    ["n of -0", "/v1/chat/completions", `${JSON.stringify(chat()).slice(0, -1)},"n":-0}`, invalid("n")],
    // JSON.parse reads 1e400 as Infinity, which JSON.stringify would send up as null: a silent change, so a refusal.
    ["temperature of 1e400", "/v1/chat/completions", `${JSON.stringify(chat()).slice(0, -1)},"temperature":1e400}`, invalid("temperature")],
  ];

  it.each(cases)("%s", async (_label, path, body, want) => {
    const a = await post(path, body);
    if (want.status === 200) expect(a.status, a.text.slice(0, 300)).toBe(200);
    else expectRefusal(a, want.status, { code: want.code, param: want.param, type: "invalid_request_error" });
    expect(t.emulator.requests).toHaveLength(want.upstream);
  });

  it("100,000 messages (the bound) are accepted and sent up once; 100,001 are refused naming `messages`", async () => {
    const many = (n: number): string => JSON.stringify({ model: "gpt-4o", messages: Array.from({ length: n }, () => ({ role: "user", content: "x" })) });
    const atBound = await post("/v1/chat/completions", many(100_000));
    expect(atBound.status, atBound.text.slice(0, 300)).toBe(200);
    expect(t.emulator.requests).toHaveLength(1);
    t.emulator.clearRequests();
    expectRefusal(await post("/v1/chat/completions", many(100_001)), 400, { param: "messages" });
    expect(t.emulator.requests).toHaveLength(0);
  });
});

describe("compressed bodies", () => {
  // One gzip member of 32 MiB of zeros repeated 32 times: a 1 GiB bomb in about 1 MB on the wire.
  const member = gzipSync(Buffer.alloc(32 * MiB));
  const bomb = Buffer.concat(Array.from({ length: 32 }, () => member));
  const json = Buffer.from(JSON.stringify(chat()));

  it("a gzip bomb is refused or cut at the body limit, never inflated", async () => {
    expect(bomb.length).toBeLessThan(2 * MiB);
    const rssBefore = process.memoryUsage().rss;
    const a = await post("/v1/chat/completions", bomb, { "content-encoding": "gzip" });
    expectRefusal(a, [413, 415]);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MiB);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it.each([
    ["gzip", gzipSync(json)],
    ["deflate", deflateSync(json)],
    ["gzip, gzip", gzipSync(gzipSync(json))],
    ["br", brotliCompressSync(json)],
  ] as const)("Content-Encoding: %s is decoded within the limit or refused with 415, never read as JSON text", async (coding, body) => {
    const a = await post("/v1/chat/completions", body, { "content-encoding": coding });
    if (a.status === 200) expect(t.emulator.requests).toHaveLength(1);
    else {
      expectRefusal(a, 415);
      expect(t.emulator.requests).toHaveLength(0);
    }
  });

  it("an unknown Content-Encoding is refused with 415", async () => {
    expectRefusal(await post("/v1/chat/completions", json, { "content-encoding": "x-unknown" }), 415);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("Content-Encoding: identity is plain JSON", async () => {
    const a = await post("/v1/chat/completions", json, { "content-encoding": "identity" });
    expect(a.status).toBe(200);
  });
});

describe("afterwards", () => {
  it("the gateway still serves, and no log line holds the canary or a forged line", async () => {
    const a = await post("/v1/chat/completions", JSON.stringify(chat()));
    expect(a.status).toBe(200);
    expectCleanLogs(t.logs);
  });
});
