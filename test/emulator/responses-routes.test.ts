// Responses API routes: classic api-version rules, ids, credentials, faults on every route, and the request log.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, RequestRecord } from "../../src/emulator/index.js";
import { API_KEY, call, namedEvents, parseAs, readStreamUntil, startTestEmulator, type ErrorJson } from "./harness.js";

const RESOURCE_NOT_FOUND = { error: { code: "404", message: "Resource not found" } };
const classic = (suffix = "", version = "2025-04-01-preview"): string => `/openai/responses${suffix}?api-version=${version}`;

let emu: Emulator;
let sdk: OpenAI;
beforeAll(async () => {
  emu = await startTestEmulator();
  sdk = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterEach(() => {
  emu.setFault("gpt-4o", undefined);
  emu.setFault("mini", undefined);
});
afterAll(() => emu.close());

async function created(model = "gpt-4o", extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(emu, "/openai/v1/responses", { body: { model, input: "SECRET-PROMPT-MARKER", ...extra } });
  expect(r.status, r.text).toBe(200);
  return parseAs<{ id: string }>(r.text).id;
}

describe("routes", () => {
  it("serves classic routes on dated previews from 2025-03-01-preview only", async () => {
    for (const version of ["2025-03-01-preview", "2025-04-01-preview"]) {
      const r = await call(emu, classic("", version), { body: { model: "gpt-4o", input: "x" } });
      expect(r.status, version).toBe(200);
    }
    const id = await created();
    for (const version of ["2024-10-21", "2025-01-01-preview", "2024-12-01-preview", "v1", "preview"]) {
      const create = await call(emu, classic("", version), { body: { model: "gpt-4o", input: "x" } });
      expect(create.status, version).toBe(404);
      expect(JSON.parse(create.text)).toEqual(RESOURCE_NOT_FOUND);
      expect((await call(emu, classic(`/${id}`, version))).status, version).toBe(404);
    }
    const bare = await call(emu, "/openai/responses", { body: { model: "gpt-4o", input: "x" } });
    expect(JSON.parse(bare.text)).toEqual(RESOURCE_NOT_FOUND);
    expect((await call(emu, classic(`/${id}`))).status).toBe(200);
    expect((await call(emu, `/${classic(`/${id}/input_items`)}`)).status).toBe(200);
  });

  it("serves v1 with or without api-version, and 404s other paths and methods plainly", async () => {
    for (const path of ["/openai/v1/responses", "/openai/v1/responses?api-version=preview", "//openai/v1/responses?api-version=v1"]) {
      expect((await call(emu, path, { body: { model: "gpt-4o", input: "x" } })).status, path).toBe(200);
    }
    for (const [path, method] of [
      ["/openai/v1/responses", "GET"],
      ["/openai/v1/responses", "PUT"],
      ["/openai/deployments/gpt-4o/responses?api-version=2025-04-01-preview", "POST"],
      ["/openai/v1/responses/resp_abc/cancel", "GET"],
      ["/openai/v1/responses/resp_abc/input_items", "POST"],
      ["/openai/v1/responses/resp_abc/other", "GET"],
    ] as const) {
      const r = await call(emu, path, { method, body: method === "GET" ? undefined : { model: "gpt-4o", input: "x" } });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(r.text)).toEqual(RESOURCE_NOT_FOUND);
    }
  });

  it("answers ids that are not resp_ plus letters and digits with the responses not-found body", async () => {
    for (const id of ["not-an-id", "resp_abc-def", "resp_"]) {
      const r = await call(emu, `/openai/v1/responses/${id}`);
      expect(r.status, id).toBe(404);
      expect(JSON.parse(r.text)).toEqual({
        error: { message: `Response with id '${id}' not found.`, type: "invalid_request_error", param: null, code: null },
      });
    }
  });

  it("takes api-key on both styles, a bearer api key on v1 only, and checks it before looking anything up", async () => {
    const id = await created();
    expect((await call(emu, classic(`/${id}`))).status).toBe(200);
    expect((await call(emu, `/openai/v1/responses/${id}`, { auth: "bearer" })).status).toBe(200);
    const entra = await call(emu, classic(`/${id}`), { auth: "bearer" });
    expect(entra.status).toBe(401);
    expect(JSON.parse(entra.text)).toMatchObject({ statusCode: 401 });
    expect((await call(emu, "/openai/v1/responses/resp_unknown", { auth: "none" })).status).toBe(401);
    expect((await call(emu, "/openai/v1/responses", { body: { model: "nope" }, auth: "none" })).status).toBe(401);
  });
});

describe("faults", () => {
  it("apply to create on the body's deployment, as for chat", async () => {
    emu.setFault("mini", { fault: { kind: "rate-limit", retryAfterMs: 2000 }, times: 1 });
    const limited = await call(emu, classic(), { body: { model: "mini", input: "x" } });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("2");
    expect(parseAs<ErrorJson>(limited.text).error.message).toContain("Responses_Create Operation under Azure OpenAI API version 2025-04-01-preview");
    expect((await call(emu, classic(), { body: { model: "gpt-4o", input: "x" } })).status).toBe(200);

    emu.setFault("mini", { fault: { kind: "content-filter" }, times: 1 });
    const filtered = await call(emu, classic(), { body: { model: "mini", input: "x", stream: true } });
    expect(filtered.status).toBe(400);
    expect(parseAs<ErrorJson>(filtered.text).error).toMatchObject({ code: "content_filter", param: "prompt" });

    emu.setFault("mini", { fault: { kind: "server-error" }, times: 1 });
    await expect(sdk.responses.create({ model: "mini", input: "x" })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it("apply to retrieve, cancel, delete and input_items by the deployment that created the response", async () => {
    const id = await created("mini");
    emu.setFault("gpt-4o", { fault: { kind: "unavailable" } });
    expect((await call(emu, `/openai/v1/responses/${id}`)).status).toBe(200);

    emu.setFault("mini", { fault: { kind: "server-error" }, times: 1 });
    // Unknown ids are answered before any fault is taken.
    expect((await call(emu, "/openai/v1/responses/resp_unknown")).status).toBe(404);
    expect((await call(emu, `/openai/v1/responses/${id}`)).status).toBe(500);
    expect((await call(emu, `/openai/v1/responses/${id}`)).status).toBe(200);

    emu.setFault("mini", { fault: { kind: "rate-limit", retryAfterMs: 1000 }, times: 3 });
    expect((await call(emu, `/openai/v1/responses/${id}`, { method: "DELETE" })).status).toBe(429);
    expect((await call(emu, `/openai/v1/responses/${id}/input_items`)).status).toBe(429);
    expect((await call(emu, `/openai/v1/responses/${id}/cancel`, { method: "POST" })).status).toBe(429);
    expect(emu.response(id)?.status).toBe("completed");
  });

  it("reset-mid-stream breaks a replayed stream after N deltas", async () => {
    const id = await created("mini", { background: true });
    emu.setFault("mini", { fault: { kind: "reset-mid-stream", afterChunks: 2 }, times: 1 });
    const r = await readStreamUntil(emu, `/openai/v1/responses/${id}?stream=true&starting_after=1`, {});
    expect(r.status).toBe(200);
    expect(r.broken).toBe(true);
    const events = namedEvents(r.text, true);
    expect(events[0]?.data.sequence_number).toBe(2);
    expect(events.filter((e) => e.event === "response.output_text.delta")).toHaveLength(2);
  });
});

describe("request log", () => {
  it("records deployment, stream, status and responseId on every route, a body on create only, never content over HTTP", async () => {
    emu.clearRequests();
    const id = await created("mini", { background: true });
    await call(emu, `/openai/v1/responses/${id}?stream=true`);
    await call(emu, `/openai/v1/responses/${id}/input_items`);
    await call(emu, `/openai/v1/responses/${id}`, { method: "DELETE" });
    const records = emu.requests;
    expect(records.map((r) => [r.method, r.deployment, r.stream, r.status, r.responseId])).toEqual([
      ["POST", "mini", false, 200, id],
      ["GET", "mini", true, 200, id],
      ["GET", "mini", false, 200, id],
      ["DELETE", "mini", false, 200, id],
    ]);
    expect(records[0]?.body).toMatchObject({ model: "mini" });
    expect(records.slice(1).every((r) => r.body === undefined)).toBe(true);
    await emu.waitFor((e) => e.requests[0]?.usage !== undefined, 1000);

    const served = await call(emu, "/_emulator/requests", { auth: "none" });
    expect(served.text).not.toContain("SECRET-PROMPT-MARKER");
    expect(parseAs<RequestRecord[]>(served.text)[0]).toMatchObject({ responseId: id, usage: { prompt_tokens: 12, completion_tokens: 16 } });
  });
});
