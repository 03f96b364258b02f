// Hostile HTTP on the raw wire: framing tricks, control characters in headers and URLs, keys in the query, path tricks; always the OpenAI envelope.
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { CANARY, envelopeOf, expectCleanLogs, expectRefusal, rawHttp, rawPost } from "./hostile-wire.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: CANARY }] });
const json = "Content-Type: application/json";
const auth = (): string => `Authorization: Bearer ${t.apiKey}`;

type WireCase = readonly [label: string, payload: () => string | Buffer, status: number | readonly number[], code?: string];

describe("framing the parser must refuse, answered in the OpenAI shape", () => {
  const cases: WireCase[] = [
    ["HTTP/1.1 without Host", () => `GET /v1/models HTTP/1.1\r\n${auth()}\r\n\r\n`, 400],
    ["a CONNECT request", () => `CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n${auth()}\r\n\r\n`, [400, 405]],
    ["Content-Length together with Transfer-Encoding", () => rawPost("/v1/chat/completions", [auth(), json, `Content-Length: ${body.length}`, "Transfer-Encoding: chunked"], `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`), 400],
    ["two equal Content-Length headers", () => rawPost("/v1/chat/completions", [auth(), json, `Content-Length: ${body.length}`, `Content-Length: ${body.length}`], body), 400],
    ["two different Content-Length headers", () => rawPost("/v1/chat/completions", [auth(), json, `Content-Length: ${body.length}`, "Content-Length: 5"], body), 400],
    ["a Content-Length list", () => rawPost("/v1/chat/completions", [auth(), json, `Content-Length: ${body.length}, ${body.length}`], body), 400],
    ["a negative Content-Length", () => rawPost("/v1/chat/completions", [auth(), json, "Content-Length: -1"], body), 400],
    ["Transfer-Encoding: xchunked", () => rawPost("/v1/chat/completions", [auth(), json, "Transfer-Encoding: xchunked"], body), [400, 501]],
    ["Transfer-Encoding: chunked, identity", () => rawPost("/v1/chat/completions", [auth(), json, "Transfer-Encoding: chunked, identity"], body), [400, 501]],
    ["a chunk size that is not hex", () => rawPost("/v1/chat/completions", [auth(), json, "Transfer-Encoding: chunked"], `zz\r\n${body}\r\n0\r\n\r\n`), 400],
    ["an obsolete folded header line", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n${auth()}\r\n\r\n`, 400],
    ["bare LF line endings", () => `GET /v1/models HTTP/1.1\nHost: x\n${auth()}\n\n`, 400],
    ["a space inside a header name", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n`, 400],
    ["an unknown method token", () => `BREW /v1/models HTTP/1.1\r\nHost: x\r\n\r\n`, [400, 405, 501]],
    ["a request line of 100 KB", () => `GET /v1/models/${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [400, 414, 431]],
    // Control characters in every header that could be copied somewhere (the credential, the request id, routing hints).
    ["a NUL in the Authorization header", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\0${CANARY}\r\n\r\n`, 400],
    ["a bare CR in the Authorization header", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r${CANARY}\r\n\r\n`, 400],
    ["a NUL in the api-key header", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\napi-key: ${t.apiKey}\0${CANARY}\r\n\r\n`, 400],
    ["a NUL in X-Request-Id", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\n${auth()}\r\nX-Request-Id: a\0${CANARY}\r\n\r\n`, 400],
    ["a NUL in the Host header", () => `GET /v1/models HTTP/1.1\r\nHost: x\0${CANARY}\r\n${auth()}\r\n\r\n`, 400],
    ["a raw CR in the URL", () => `GET /v1/mod\rels HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
    ["a raw NUL in the URL", () => `GET /v1/models\0 HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
    ["Latin-1 bytes in the credential", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer aik_\xff\xfe${CANARY}\r\n\r\n`, 401, "invalid_api_key"],
    ["a credential of 8 KB", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer aik_${"A".repeat(8192)}\r\n\r\n`, 401, "invalid_api_key"],
    ["'Bearer' with no key", () => `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n\r\n`, 401, "invalid_api_key"],
    // Forms a proxy may send: a clear answer, and the upstream URL never taken from them.
    ["an absolute-form URL naming another host", () => `GET http://evil.example/v1/models HTTP/1.1\r\nHost: evil.example\r\n${auth()}\r\n\r\n`, [200, 400, 404]],
    ["an asterisk-form OPTIONS", () => `OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n`, [400, 404, 405]],
  ];

  it.each(cases.map(([label, payload, status, code]) => ({ label, payload, status, code })))("$label", async ({ payload, status, code }) => {
    const a = await rawHttp(t.httpUrl, payload());
    if (a.status === 200) expect(JSON.parse(a.text)).toHaveProperty("object", "list");
    else expectRefusal(a, status, { code });
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("HTTP/1.0 needs no Host and is served", async () => {
    const a = await rawHttp(t.httpUrl, `GET /v1/models HTTP/1.0\r\n${auth()}\r\n\r\n`);
    expect(a.status).toBe(200);
  });

  it("a request smuggled after a Content-Length body is a second request, answered on its own", async () => {
    const smuggled = `GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n`;
    const payload = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth()}\r\n${json}\r\nContent-Length: ${body.length}\r\n\r\n${body}${smuggled}`;
    const a = await rawHttp(t.httpUrl, payload);
    expect(a.status).toBe(200);
    expect(t.emulator.requests).toHaveLength(1);
  });
});

describe("credentials in the URL are refused, however they are spelled", () => {
  const names = ["API-KEY", "apiKey", "subscription-key", "Key", "Api_Key", "ACCESS_TOKEN", "Subscription-Key", "api%2Dkey", "API_KEY", "Token"];
  it.each(names)("?%s=", async (name) => {
    const res = await request(`${t.httpUrl}/v1/chat/completions?${name}=${CANARY}`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
      body,
    });
    const text = await res.body.text();
    expectRefusal({ status: res.statusCode, headers: res.headers, text, json: envelopeOf(text) }, 401, { code: "invalid_api_key" });
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("also on a GET with no body and on the Azure route", async () => {
    for (const path of [`/v1/models?Api-Key=${CANARY}`, `/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21&subscription-key=${CANARY}`]) {
      const res = await request(`${t.httpUrl}${path}`, { method: path.startsWith("/v1/models") ? "GET" : "POST", headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" }, body: path.startsWith("/v1/models") ? undefined : body });
      const text = await res.body.text();
      expectRefusal({ status: res.statusCode, headers: res.headers, text, json: envelopeOf(text) }, 401, { code: "invalid_api_key" });
    }
    expect(t.emulator.requests).toHaveLength(0);
  });
});

describe("path and query tricks", () => {
  type PathCase = readonly [path: string, method: "GET" | "POST" | "DELETE", status: number, param?: string];
  const classic = (name: string): string => `/openai/deployments/${name}/chat/completions?api-version=2024-10-21`;
  const cases: PathCase[] = [
    ["/v1/models/..%2F..%2Fadmin", "GET", 400, "model"],
    ["/v1/models/%C0%AE%C0%AE", "GET", 400, "model"],
    ["/v1/models/%", "GET", 400, "model"],
    ["/v1/models/a%5Cb", "GET", 400, "model"],
    ["/v1/models/gpt-4o%00", "GET", 400, "model"],
    ["/v1/models/gpt-4o%0D%0AX-Injected:%201", "GET", 400, "model"],
    [classic("gpt-4o%2F..%2F..%2Fadmin"), "POST", 400, "deployment"],
    [classic("gpt-4o%00"), "POST", 400, "deployment"],
    [classic("%EF%BC%8E%EF%BC%8E"), "POST", 400, "deployment"],
    ["/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21%0D%0AX-Injected:%201", "POST", 400, "api-version"],
    ["/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21%00", "POST", 400, "api-version"],
    ["/openai/deployments/gpt-4o/chat/completions?api-version=..%2F..%2F", "POST", 400, "api-version"],
    ["/v1/responses/resp_abc%00", "GET", 400, "response_id"],
    ["/v1/responses/resp_abc%0D%0AX:%201", "GET", 400, "response_id"],
    ["/v1/responses/resp_a%2F..%2F..%2Fadmin", "DELETE", 400, "response_id"],
    ["/v1/responses/resp_a%0Ab/cancel", "POST", 400, "response_id"],
    ["/v1/responses/resp_abc?in%0D%0Aclude=1", "GET", 400, "query"],
    ["/v1/responses/resp_abc?a%00b=1", "GET", 400, "query"],
    ["/v1/responses/resp_abc/input_items?%E2%80%AEorder=asc", "GET", 400, "query"],
    ["/V1/CHAT/COMPLETIONS", "POST", 404],
    ["/v1/chat/completions%00", "POST", 404],
    ["/v1/chat%2Fcompletions", "POST", 404],
    ["/v1/chat/completions/", "POST", 404],
  ];

  it.each(cases.map(([path, method, status, param]) => ({ path, method, status, param })))("$method $path -> $status", async ({ path, method, status, param }) => {
    const res = await request(`${t.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.apiKey}`, ...(method === "POST" ? { "content-type": "application/json" } : {}) },
      body: method === "POST" ? body : undefined,
    });
    const text = await res.body.text();
    expectRefusal({ status: res.statusCode, headers: res.headers, text, json: envelopeOf(text) }, status, { param });
    expect(t.emulator.requests).toHaveLength(0);
  });

  // HTTP clients resolve '.', '..' and '%2e%2e' segments before sending: these go on the raw wire.
  it.each([
    ["GET", "/v1/./models", 404, undefined],
    ["GET", "/v1/models/../models", 400, "model"],
    ["GET", "/v1/models/%2e%2e", 400, "model"],
    ["GET", "/v1/models/%2E%2e%2F", 400, "model"],
    ["POST", classic("%2e%2e"), 400, "deployment"],
    ["POST", classic(".."), 400, "deployment"],
    ["GET", "/v1/chat/completions#fragment", 404, undefined],
  ] as const)("raw %s %s -> %s", async (method, path, status, param) => {
    const a = await rawHttp(t.httpUrl, method === "POST" ? rawPost(path, [auth(), json, `Content-Length: ${body.length}`], body) : `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth()}\r\nConnection: close\r\n\r\n`);
    expectRefusal(a, status, { param });
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a query value with CR/LF or NUL on an owned response goes up percent-encoded (no 5xx, no injected URL)", async () => {
    const created = await request(`${t.httpUrl}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", input: CANARY }),
    });
    const id = ((await created.body.json()) as { id: string }).id;
    t.emulator.clearRequests();
    for (const value of ["a%0D%0AX-Injected:%201", "a%00b"]) {
      const res = await request(`${t.httpUrl}/v1/responses/${id}?include[]=${value}`, { headers: { authorization: `Bearer ${t.apiKey}` } });
      const text = await res.body.text();
      expect(res.statusCode, text).toBeLessThan(500);
    }
    expect(t.emulator.requests.map((r) => r.path)).toEqual([`/openai/v1/responses/${id}`, `/openai/v1/responses/${id}`]);
  });
});

describe("afterwards", () => {
  it("the gateway still serves, and no log line holds the canary or a forged line", async () => {
    const a = await rawHttp(t.httpUrl, `GET /v1/models HTTP/1.1\r\nHost: x\r\n${auth()}\r\nConnection: close\r\n\r\n`);
    expect(a.status).toBe(200);
    expectCleanLogs(t.logs);
  });
});
