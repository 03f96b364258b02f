// Malformed and hostile Responses API input over HTTP: a specific 400 or 404 in OpenAI's envelope, the security headers, nothing sent upstream (gRPC: bad-input-grpc.test.ts).
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, responsesClient } from "../support/grpc-client.js";
import { provisionUser } from "../support/identity.js";
import { SECURITY } from "../transport/hostile-wire.js";

/**
 * The emulator's request log keeps paths without their query, and the query is what the
 * input_items tests check: the deployments point at this pass-through, which notes each request line.
 */
interface RecordingProxy {
  readonly url: string;
  readonly seen: string[];
  target: string;
  close(): Promise<void>;
}

async function startRecordingProxy(): Promise<RecordingProxy> {
  const proxy = { seen: [] as string[], target: "" };
  const server: Server = createServer((req, res) => {
    proxy.seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
    const upstream = httpRequest(`${proxy.target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  });
}

let t: TestGateway;
let proxy: RecordingProxy;
/** The member's own stored response, with three input items. */
let own: { id: string; inputIds: string[] };

beforeAll(async () => {
  proxy = await startRecordingProxy();
  t = await startTestGateway({}, (c) => {
    if (c.mode.kind !== "deployments") return c;
    proxy.target = c.mode.deployments[0]?.endpoint ?? "";
    return { ...c, mode: { kind: "deployments", deployments: c.mode.deployments.map((d) => ({ ...d, endpoint: proxy.url })) } };
  });
  const input = ["one", "two", "three"].map((text) => ({ role: "user", content: [{ type: "input_text", text }] }));
  const created = await request(`${t.httpUrl}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", input }),
  });
  const id = ((await created.body.json()) as { id: string }).id;
  const items = await request(`${t.httpUrl}/v1/responses/${id}/input_items?order=asc`, { headers: { authorization: `Bearer ${t.apiKey}` } });
  own = { id, inputIds: ((await items.body.json()) as { data: Array<{ id: string }> }).data.map((item) => item.id) };
});
afterAll(async () => {
  await t.close();
  await proxy.close();
});
beforeEach(() => {
  t.emulator.clearRequests();
  proxy.seen.length = 0;
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
}

/** One request written byte for byte on its own connection: HTTP clients resolve '..' and encode paths before sending. */
function raw(method: string, path: string, body?: unknown, key = t.apiKey): Promise<RawAnswer> {
  const payload = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const head = [`${method} ${path} HTTP/1.1`, "Host: gateway.test", `Authorization: Bearer ${key}`, "Connection: close"];
  if (body !== undefined) head.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(payload)}`);
  return new Promise((resolve, reject) => {
    const url = new URL(t.httpUrl);
    // write, not end: a half-closed socket is a client that left, and the gateway drops its answer.
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head.join("\r\n")}\r\n\r\n${payload}`));
    let out = "";
    socket.on("data", (d: Buffer) => (out += d.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const split = out.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = out.slice(0, split).split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      const text = out.slice(split + 4);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text, json });
    });
  });
}

/** The refusal every case must be: this status, OpenAI's envelope naming the parameter, the headers, and no upstream request. */
function expectRefused(r: RawAnswer, statusCode: number, param: string | null, code?: string): void {
  expect(r.status, r.body).toBe(statusCode);
  expect(r.json).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param, code: code ?? expect.any(String) } });
  expect(r.headers).toMatchObject(SECURITY);
  expect(r.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
  expect(t.emulator.requests).toEqual([]);
  expect(proxy.seen).toEqual([]);
}

const randomResponseId = (): string => `resp_${randomBytes(24).toString("hex")}`;
const CLASSIC = "api-version=2025-04-01-preview";
const ROOTS = ["/v1/responses", "/openai/v1/responses", "/openai/responses"] as const;
/** A path under one of the three URL styles, with the api-version the classic one needs. */
function under(root: (typeof ROOTS)[number], suffix: string, query = ""): string {
  const q = [root === "/openai/responses" ? CLASSIC : "", query].filter((s) => s !== "").join("&");
  return `${root}${suffix}${q ? `?${q}` : ""}`;
}

const PATH_404 = { error: { message: "No response found with that id.", type: "invalid_request_error", param: "response_id", code: "not_found" } };

/** Each operation on a stored response, as method and path suffix after the id. */
const STORED_OPS: ReadonlyArray<readonly [string, string, string]> = [
  ["GET", "", "GET"],
  ["DELETE", "", "DELETE"],
  ["POST", "/cancel", "cancel"],
  ["GET", "/input_items", "input_items"],
];

describe("response ids in the path", () => {
  it.each(STORED_OPS)("an unknown id on %s %s -> the documented 404 on every URL style", async (method, suffix) => {
    for (const root of ROOTS) {
      const r = await raw(method, under(root, `/${randomResponseId()}${suffix}`));
      expectRefused(r, 404, "response_id", "not_found");
      expect(r.json).toEqual(PATH_404);
    }
  });

  it("another member's id -> the same 404", async () => {
    const other = await provisionUser(t.httpUrl, t.adminToken, "member");
    const r = await raw("GET", `/v1/responses/${own.id}`, undefined, other.apiKey);
    expectRefused(r, 404, "response_id", "not_found");
    expect(r.json).toEqual(PATH_404);
  });

  // Sent byte for byte: an HTTP client would resolve '..' and encode the rest before the gateway saw them.
  const BAD_IDS = ["../x", "%2F", "resp_a%2Fb", "resp_%0D%0Ax", "resp_%00", `resp_${"a".repeat(300)}`, "resp_a%20b", "%20"];
  const cases = BAD_IDS.flatMap((id) => STORED_OPS.map(([method, suffix, label]) => [id.length > 40 ? "resp_ + 300 chars" : id, label, method, `/${id}${suffix}`] as const));
  it.each(cases)("id %s on %s -> 400 naming response_id, on every URL style", async (_id, _label, method, path) => {
    for (const root of ROOTS) expectRefused(await raw(method, under(root, path)), 400, "response_id", "invalid_value");
  });

  it("a raw space in the path is malformed HTTP -> 400 in the same envelope", async () => {
    const r = await raw("GET", "/v1/responses/resp_a b");
    expectRefused(r, 400, null);
  });

  it("?stream=maybe on GET -> 400 naming stream", async () => {
    for (const root of ROOTS) expectRefused(await raw("GET", under(root, `/${own.id}`, "stream=maybe")), 400, "stream", "invalid_value");
  });
});

describe("api-version on the Azure classic routes", () => {
  it.each(["garbage", "2024-10-21x", "v1", "2025-04-01-preview%0D%0Ax"])("api-version=%s -> 400 naming api-version", async (version) => {
    expectRefused(await raw("POST", `/openai/responses?api-version=${version}`, { model: "gpt-4o-mini", input: "hi" }), 400, "api-version", "invalid_value");
    expectRefused(await raw("GET", `/openai/responses/${own.id}?api-version=${version}`), 400, "api-version", "invalid_value");
  });

  it("no api-version -> 404, as Azure answers", async () => {
    expectRefused(await raw("POST", "/openai/responses", { model: "gpt-4o-mini", input: "hi" }), 404, "api-version");
    expectRefused(await raw("GET", `/openai/responses/${own.id}`), 404, "api-version");
  });
});

describe("create bodies", () => {
  const base = { model: "gpt-4o-mini", input: "hi" };
  const cases: ReadonlyArray<readonly [string, unknown, number, string, string]> = [
    ["a missing model", { input: "hi" }, 400, "model", "missing_required_parameter"],
    ["stream as the string \"true\"", { ...base, stream: "true" }, 400, "stream", "invalid_value"],
    ["background: true with store: false", { ...base, background: true, store: false }, 400, "background", "invalid_value"],
    ["previous_response_id: 42", { ...base, previous_response_id: 42 }, 400, "previous_response_id", "invalid_value"],
    ["previous_response_id: \"../x\"", { ...base, previous_response_id: "../x" }, 400, "previous_response_id", "invalid_value"],
    ["an unknown previous_response_id", { ...base, previous_response_id: randomResponseId() }, 404, "previous_response_id", "not_found"],
    ["an item_reference id with a path", { ...base, input: [{ type: "item_reference", id: "../x" }] }, 400, "input[0].id", "invalid_value"],
    ["an item_reference id with CR LF", { ...base, input: [{ type: "input_text", text: "hi" }, { type: "item_reference", id: "msg_a\r\nb" }] }, 400, "input[1].id", "invalid_value"],
    ["an item_reference id that is a number", { ...base, input: [{ type: "item_reference", id: 42 }] }, 400, "input[0].id", "invalid_value"],
    ["max_output_tokens: 0", { ...base, max_output_tokens: 0 }, 400, "max_output_tokens", "invalid_value"],
    ["max_output_tokens: -1", { ...base, max_output_tokens: -1 }, 400, "max_output_tokens", "invalid_value"],
    ["max_output_tokens: 1.5", { ...base, max_output_tokens: 1.5 }, 400, "max_output_tokens", "invalid_value"],
    ["a JSON array body", [base], 400, "body", "invalid_value"],
    ["an api_base routing override", { ...base, api_base: "https://evil.example" }, 400, "api_base", "invalid_value"],
  ];
  it.each(cases)("%s -> %s naming the parameter, on every URL style", async (_label, body, statusCode, param, code) => {
    for (const root of ROOTS) expectRefused(await raw("POST", under(root, ""), body), statusCode, param, code);
  });
});

describe("input_items query", () => {
  it.each(["li%0Amit=1", "li%00mit=1", "%3Cscript%3E=1", "limit%5Bx%5D=1", "li+mit=1"])("a parameter named %s -> 400 naming query", async (query) => {
    expectRefused(await raw("GET", `/v1/responses/${own.id}/input_items?${query}`), 400, "query", "invalid_value");
  });

  /** What the gateway asked Azure for on its one upstream request: path, and query without the api-version it sets. */
  function upstreamQuery(): { path: string; query: Array<[string, string]> } {
    expect(proxy.seen).toHaveLength(1);
    const line = proxy.seen[0] ?? "";
    const url = new URL(line.slice(line.indexOf(" ") + 1), "http://upstream");
    return { path: url.pathname, query: [...url.searchParams].filter(([name]) => name !== "api-version") };
  }

  it("limit, order, after and include[] reach Azure unchanged, and its page comes back", async () => {
    const [first, second] = own.inputIds;
    const sent: Array<[string, string]> = [["limit", "1"], ["order", "asc"], ["after", first ?? ""], ["include[]", "message.input_image.image_url"]];
    for (const root of ROOTS) {
      proxy.seen.length = 0;
      const query = sent.map(([name, value]) => `${name}=${value}`).join("&");
      const res = await request(`${t.httpUrl}${under(root, `/${own.id}/input_items`, query)}`, { headers: { authorization: `Bearer ${t.apiKey}` } });
      const page = (await res.body.json()) as { data: Array<{ id: string }>; has_more: boolean };
      expect(res.statusCode).toBe(200);
      expect(page.data.map((item) => item.id)).toEqual([second]);
      expect(page.has_more).toBe(true);
      expect(upstreamQuery()).toEqual({ path: `/openai/v1/responses/${own.id}/input_items`, query: sent });
    }
  });

  it("the same over gRPC's ListInputItems", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const page = await call(client, client.listInputItems, { responseId: own.id, limit: 2, order: "desc", after: own.inputIds[2] ?? "", include: ["message.input_image.image_url"] }, bearer(t.apiKey));
      expect(page.data.map((item) => item.id)).toEqual([own.inputIds[1], own.inputIds[0]]);
      expect(upstreamQuery().query).toEqual([["limit", "2"], ["order", "desc"], ["after", own.inputIds[2]], ["include[]", "message.input_image.image_url"]]);
    } finally {
      client.close();
    }
  });
});
