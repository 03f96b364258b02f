// buf curl (from @bufbuild/buf) against the running server with no .proto at hand: reflection alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufCurl } from "../support/buf-curl.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("buf curl via server reflection", () => {
  const base = (): string => `http://${t.grpcAddress}`;

  it("lists services", async () => {
    const out = (await bufCurl("--list-services", base())).trim().split("\n");
    expect(out).toEqual(expect.arrayContaining(["aik.v1.ChatService", "grpc.health.v1.Health"]));
  });

  it("lists methods", async () => {
    const out = await bufCurl("--list-methods", base());
    expect(out).toContain("aik.v1.ChatService/CreateChatCompletion");
    expect(out).toContain("aik.v1.ChatService/StreamChatCompletion");
  });

  it("calls a unary method", async () => {
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "CHAT_ROLE_USER", text: "hi" }], max_tokens: 3 });
    const out = JSON.parse(await bufCurl("-H", `Authorization: Bearer ${t.apiKey}`, "-d", body, `${base()}/aik.v1.ChatService/CreateChatCompletion`));
    expect(out.choices[0].finish_reason).toBe("FINISH_REASON_LENGTH");
    expect(out.usage.completion_tokens).toBe(3);
  });

  it("calls a streaming method", async () => {
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "CHAT_ROLE_USER", text: "hi" }], max_tokens: 2, stream_options: { include_usage: true } });
    const out = await bufCurl("-H", `Authorization: Bearer ${t.apiKey}`, "-d", body, `${base()}/aik.v1.ChatService/StreamChatCompletion`);
    // One JSON document per message: prompt filter, role, 2 words, finish, usage.
    const messages = out.split(/\n(?=\{)/).map((m) => JSON.parse(m));
    expect(messages).toHaveLength(6);
    expect(messages.at(-1).usage.completion_tokens).toBe(2);
  });

  it("checks health", async () => {
    const out = JSON.parse(await bufCurl(`${base()}/grpc.health.v1.Health/Check`));
    expect(out).toEqual({ status: "SERVING" });
  });
});
