// Malformed HTTP input: each gets a specific OpenAI-shaped error, the security headers, and no upstream call (hostile-*.test.ts go further).
import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { SECURITY } from "./hostile-wire.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

const SECRET = "sentinel-prompt-7f3a";

async function post(path: string, body: string | Buffer, headers: Record<string, string> = { "content-type": "application/json" }) {
  const res = await request(`${t.httpUrl}${path}`, { method: "POST", body, headers: { authorization: `Bearer ${t.apiKey}`, ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: safeJson(text) };
}

function safeJson(text: string): { error?: { message: string; type: string; param: string | null; code: string | null } } {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

const ok = { model: "gpt-4o", messages: [{ role: "user", content: SECRET }] };

describe("bad input over HTTP", () => {
  const cases: Array<[string, string | Buffer, number, string | null, Record<string, string>?]> = [
    ["malformed JSON", `{"model": "gpt-4o", "messages": [${SECRET}`, 400, "invalid_json"],
    ["empty body", "", 400, "empty_body"],
    ["a JSON array", "[]", 400, "invalid_value"],
    ["JSON null", "null", 400, "invalid_value"],
    ["a JSON string", JSON.stringify(SECRET), 400, "invalid_value"],
    ["two JSON objects back to back", `${JSON.stringify(ok)}{}`, 400, "invalid_json"],
    ["a JSON object cut short", JSON.stringify(ok).slice(0, -3), 400, "invalid_json"],
    ["a JSON comment", `{"model": "gpt-4o", /* ${SECRET} */ "messages": []}`, 400, "invalid_json"],
    ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 400, "invalid_encoding"],
    ["missing model", JSON.stringify({ messages: ok.messages }), 400, "missing_required_parameter"],
    ["missing messages", JSON.stringify({ model: "gpt-4o" }), 400, "missing_required_parameter"],
    ["messages of the wrong type", JSON.stringify({ model: "gpt-4o", messages: SECRET }), 400, "invalid_value"],
    ["model of the wrong type", JSON.stringify({ ...ok, model: 42 }), 400, "invalid_value"],
    ["fractional n (the token reservation multiplies by it)", JSON.stringify({ ...ok, n: 1.5 }), 400, "invalid_value"],
    ["max_tokens of zero (the reservation reads it)", JSON.stringify({ ...ok, max_tokens: 0 }), 400, "invalid_value"],
    ["stream as a string", JSON.stringify({ ...ok, stream: "yes" }), 400, "invalid_value"],
    ["stream_options without stream", JSON.stringify({ ...ok, stream_options: { include_usage: true } }), 400, "invalid_value"],
    ["api_base override", JSON.stringify({ ...ok, api_base: "https://evil.example" }), 400, "invalid_value"],
    ["base_url override", JSON.stringify({ ...ok, base_url: "https://evil.example" }), 400, "invalid_value"],
    ["azure_endpoint override", JSON.stringify({ ...ok, azure_endpoint: "https://evil.example" }), 400, "invalid_value"],
    ["wrong content type", JSON.stringify(ok), 415, "unsupported_media_type", { "content-type": "text/plain" }],
    ["no content type", JSON.stringify(ok), 415, "unsupported_media_type", {}],
    ["body over the limit", JSON.stringify({ ...ok, pad: "x".repeat(70 * 1024) }), 413, "request_too_large"],
  ];

  it.each(cases)("%s -> %s", async (_label, body, status, code, headers) => {
    const r = await post("/v1/chat/completions", body, headers ?? { "content-type": "application/json" });
    expect(r.status).toBe(status);
    expect(r.json.error?.code).toBe(code);
    expect(r.headers).toMatchObject(SECURITY);
    expect(r.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
    expect(r.text).not.toContain(SECRET);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("names the parameter at fault", async () => {
    const r = await post("/v1/chat/completions", JSON.stringify({ ...ok, max_completion_tokens: -1 }));
    expect(r.json.error).toMatchObject({ param: "max_completion_tokens", type: "invalid_request_error" });
    expect(r.json.error?.message).toMatch(/max_completion_tokens.*integer from 1/);
  });

  // What the gateway does not act on is Azure's to judge: the request goes up, Azure's own 400 comes back byte for byte.
  const azureJudges: Array<[string, Record<string, unknown>, string]> = [
    ["temperature as a string", { temperature: "hot" }, "temperature"],
    ["frequency_penalty out of range", { frequency_penalty: -7 }, "frequency_penalty"],
    ["presence_penalty out of range", { presence_penalty: 9 }, "presence_penalty"],
  ];
  it.each(azureJudges)("%s -> Azure's own 400, unchanged", async (_label, extra, param) => {
    const r = await post("/v1/chat/completions", JSON.stringify({ ...ok, ...extra }));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ param, type: "invalid_request_error" });
    expect(t.emulator.requests).toHaveLength(1);
    expect(t.emulator.requests[0]?.status).toBe(400);
    expect(r.headers).toMatchObject(SECURITY);
    expect(t.logs.join("\n")).not.toContain(SECRET);
  });

  it("a 413 is decided from Content-Length before reading the body", async () => {
    const r = await post("/v1/embeddings", JSON.stringify({ model: "embed", input: "x".repeat(100 * 1024) }));
    expect(r.status).toBe(413);
  });

  it("ignores routing headers: the upstream URL never changes", async () => {
    const r = await post("/v1/chat/completions", JSON.stringify(ok), {
      "content-type": "application/json",
      "x-ms-azure-endpoint": "http://127.0.0.1:1",
      "api-base": "http://127.0.0.1:1",
      host: "evil.example",
    });
    expect(r.status).toBe(200);
    expect(t.emulator.requests).toHaveLength(1);
  });

  const namePaths = ["a%2Fb", "a..b", "a%3Fb", "a%23b", "a%0D%0Ab", "a%00b", "%E2%80%AEgpt", "%zz", "a/b"];
  it.each(namePaths)("Azure-style path deployment %s -> 400 before any URL is built", async (name) => {
    const r = await post(`/openai/deployments/${name}/chat/completions?api-version=2024-10-21`, JSON.stringify(ok));
    expect(r.status).toBe(400);
    expect(r.json.error?.param).toBe("deployment");
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a '..' path segment (sent raw: HTTP clients normalise it away) -> 400", async () => {
    const body = JSON.stringify(ok);
    const raw = await rawRequest(
      `POST /openai/deployments/../chat/completions?api-version=2024-10-21 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(raw).toMatch(/"param":"deployment"/);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("Azure-style routes need api-version, as Azure does", async () => {
    const r = await post("/openai/deployments/gpt-4o/chat/completions", JSON.stringify(ok));
    expect(r.status).toBe(404);
    expect(r.json.error?.param).toBe("api-version");
  });

  it("unknown paths are 404 and wrong methods 405, with the security headers", async () => {
    const missing = await request(`${t.httpUrl}/v2/nothing`);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers).toMatchObject(SECURITY);
    await missing.body.text();
    const wrong = await request(`${t.httpUrl}/v1/chat/completions`);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    expect(wrong.headers).toMatchObject(SECURITY);
    await wrong.body.text();
  });

  it("a 1 MB header is refused with 431 in the OpenAI shape", async () => {
    const raw = await rawRequest(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1024 * 1024)}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431/);
    expect(raw).toMatch(/x-content-type-options: nosniff/i);
    expect(raw).toMatch(/"code":"headers_too_large"/);
  });

  it("a malformed request line gets 400 in the OpenAI shape", async () => {
    const raw = await rawRequest("POST /v1/chat/completions\x01 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(raw).toMatch(/cache-control: no-store/i);
  });

  it("streams carry the security headers too", async () => {
    const res = await request(`${t.httpUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}` },
      body: JSON.stringify({ ...ok, stream: true }),
    });
    expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(res.headers).toMatchObject(SECURITY);
    const text = await res.body.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text.split("\n\n").every((frame) => frame === "" || frame.startsWith("data: "))).toBe(true);
  });

  it("never writes request content into its logs", () => {
    expect(t.logs.join("\n")).not.toContain(SECRET);
  });
});

function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.httpUrl);
    const socket = connect(Number(url.port), url.hostname, () => socket.end(text));
    let out = "";
    socket.on("data", (d) => (out += d.toString("latin1")));
    socket.on("error", (e) => (out ? resolve(out) : reject(e)));
    socket.on("close", () => resolve(out));
  });
}
