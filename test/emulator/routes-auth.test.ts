// Routes, credentials and the 401/404 answers, on both URL styles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { call, classicChat, GA, hello, parseAs, startTestEmulator, type ChatJson, type ErrorJson } from "./harness.js";

const ACCESS_DENIED = {
  error: {
    code: "401",
    message:
      "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
  },
};
const RESOURCE_NOT_FOUND = { error: { code: "404", message: "Resource not found" } };

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

describe("routes", () => {
  it("serves classic chat on the deployment in the path, ignoring body model", async () => {
    const r = await call(emu, classicChat("mini"), { body: hello({ model: "something-else" }) });
    expect(r.status).toBe(200);
    expect(parseAs<ChatJson>(r.text).model).toBe("gpt-4o-mini-2024-07-18");
    expect(r.headers["x-ms-region"]).toBe("Sweden Central");
  });

  it("serves v1 chat on the deployment named by body model, with or without api-version", async () => {
    for (const path of ["/openai/v1/chat/completions", "/openai/v1/chat/completions?api-version=preview"]) {
      const r = await call(emu, path, { body: hello({ model: "gpt-4o" }) });
      expect(r.status).toBe(200);
      expect(parseAs<ChatJson>(r.text).model).toBe("gpt-4o-2024-11-20");
    }
  });

  it("tolerates the doubled slash old SDKs send", async () => {
    const r = await call(emu, `/${classicChat()}`, { body: hello() });
    expect(r.status).toBe(200);
    expect(emu.requests.at(-1)?.path).toBe("//openai/deployments/gpt-4o/chat/completions");
    const v1 = await call(emu, "//openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }) });
    expect(v1.status).toBe(200);
  });

  it("answers a classic route without api-version with Azure's plain 404", async () => {
    const r = await call(emu, "/openai/deployments/gpt-4o/chat/completions", { body: hello() });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual(RESOURCE_NOT_FOUND);
  });

  it("answers unknown paths, /openai/v1/deployments and wrong methods with 404 Resource not found", async () => {
    for (const [path, method] of [
      ["/openai/v1/deployments/gpt-4o/chat/completions", "POST"],
      ["/v1/chat/completions", "POST"],
      ["/openai/v1/chat/completions", "GET"],
      [classicChat(), "GET"],
    ] as const) {
      const r = await call(emu, path, { method, body: method === "POST" ? hello({ model: "gpt-4o" }) : undefined });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(r.text)).toEqual(RESOURCE_NOT_FOUND);
    }
  });

  it("answers an unknown deployment with DeploymentNotFound on both styles", async () => {
    const expected = {
      error: {
        code: "DeploymentNotFound",
        message:
          "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
      },
    };
    const classic = await call(emu, classicChat("nope"), { body: hello() });
    expect(classic.status).toBe(404);
    expect(JSON.parse(classic.text)).toEqual(expected);
    const v1 = await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "nope" }) });
    expect(v1.status).toBe(404);
    expect(JSON.parse(v1.text)).toEqual(expected);
  });

  it("requires body model on v1", async () => {
    const r = await call(emu, "/openai/v1/chat/completions", { body: hello() });
    expect(r.status).toBe(400);
    expect(parseAs<ErrorJson>(r.text).error).toMatchObject({ param: "model", code: "missing_required_parameter" });
  });

  it("lists deployments as OpenAI model objects on v1", async () => {
    const r = await call(emu, "/openai/v1/models");
    expect(r.status).toBe(200);
    const list = parseAs<{ object: string; data: Array<{ id: string; object: string; owned_by: string }> }>(r.text);
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(["gpt-4o", "mini", "reasoner", "embed-small", "embed-large", "ada"]);
    expect(list.data.every((m) => m.object === "model")).toBe(true);
  });

  it("refuses chat on an embeddings deployment and embeddings on a chat deployment", async () => {
    const chat = await call(emu, classicChat("embed-small"), { body: hello() });
    expect(chat.status).toBe(400);
    expect(parseAs<ErrorJson>(chat.text).error.code).toBe("OperationNotSupported");
    const emb = await call(emu, `/openai/deployments/gpt-4o/embeddings?api-version=${GA}`, { body: { input: "x" } });
    expect(emb.status).toBe(400);
    expect(parseAs<ErrorJson>(emb.text).error.code).toBe("OperationNotSupported");
  });
});

describe("credentials", () => {
  it("accepts api-key on both styles and Bearer <api key> on v1", async () => {
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
    expect((await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }) })).status).toBe(200);
    const bearer = await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }), auth: "bearer" });
    expect(bearer.status).toBe(200);
  });

  it("rejects a wrong or missing key with Azure's 401 body", async () => {
    const wrong = await call(emu, classicChat(), { body: hello(), auth: { header: "api-key", value: "wrong" } });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toEqual(ACCESS_DENIED);
    const missing = await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }), auth: "none" });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toEqual(ACCESS_DENIED);
    const wrongBearer = await call(emu, "/openai/v1/models", { auth: { header: "authorization", value: "Bearer nope" } });
    expect(wrongBearer.status).toBe(401);
    expect(JSON.parse(wrongBearer.text)).toEqual(ACCESS_DENIED);
  });

  it("treats a bearer on a classic route as an Entra token it cannot accept", async () => {
    const r = await call(emu, classicChat(), { body: hello(), auth: "bearer" });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toMatchObject({ statusCode: 401 });
    expect(JSON.parse(r.text)).not.toHaveProperty("error");
  });

  it("checks the key before the deployment exists", async () => {
    const r = await call(emu, classicChat("nope"), { body: hello(), auth: "none" });
    expect(r.status).toBe(401);
  });
});

describe("headers and body errors", () => {
  it("puts Azure's headers on success and on errors", async () => {
    const ok = await call(emu, classicChat(), { body: hello() });
    const err = await call(emu, "/nowhere");
    for (const r of [ok, err]) {
      expect(r.headers["apim-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers["x-ms-region"]).toBe("East US");
      expect(r.headers["azureml-model-session"]).toBeTruthy();
      expect(Number(r.headers["x-ratelimit-remaining-requests"])).toBeGreaterThan(0);
      expect(Number(r.headers["x-ratelimit-remaining-tokens"])).toBeGreaterThan(0);
      expect(r.headers["content-type"]).toBe("application/json");
    }
    expect(ok.headers["apim-request-id"]).not.toBe(err.headers["apim-request-id"]);
  });

  it("counts remaining requests down", async () => {
    const a = await call(emu, classicChat("mini"), { body: hello() });
    const b = await call(emu, classicChat("mini"), { body: hello() });
    expect(Number(b.headers["x-ratelimit-remaining-requests"])).toBe(Number(a.headers["x-ratelimit-remaining-requests"]) - 1);
    expect(Number(b.headers["x-ratelimit-remaining-tokens"])).toBeLessThan(Number(a.headers["x-ratelimit-remaining-tokens"]));
  });

  it("rejects bodies that are not JSON objects", async () => {
    for (const rawBody of ["{not json", "[1,2]", '"text"']) {
      const r = await call(emu, classicChat(), { rawBody });
      expect(r.status, rawBody).toBe(400);
      expect(parseAs<ErrorJson>(r.text).error.type).toBe("invalid_request_error");
    }
  });

  it("requires messages and names the parameter", async () => {
    const r = await call(emu, classicChat(), { body: { temperature: 1 } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({
      error: {
        message: "Missing required parameter: 'messages'.",
        type: "invalid_request_error",
        param: "messages",
        code: "missing_required_parameter",
      },
    });
  });
});
