// The Responses API over gRPC: generated clients and buf curl through reflection alone, the same operation as HTTP.
import { Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateResponseRequest, type ResponseStreamEvent } from "../../gen/aik/v1/responses.js";
import { ChatServiceClient, CompletionRequest, type Completion } from "../../gen/aik/v1/chat.js";
import { bufCurl } from "../support/buf-curl.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, chatClient, collect, isServiceError, responsesClient } from "../support/grpc-client.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("ResponsesService with the generated client", () => {
  it("creates a response with typed fields and lossless items, and reads it back", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const created = await call(client, client.createResponse, CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", instructions: "Be brief.", inputText: "Hello" }), bearer(t.apiKey));
      expect(created.id).toMatch(/^resp_/);
      expect(created.status).toBe("completed");
      expect(created.outputText.split(" ").length).toBeGreaterThan(3);
      const azure = t.emulator.response(created.id);
      expect(created.usage).toMatchObject({ inputTokens: azure?.usage?.prompt_tokens, outputTokens: azure?.usage?.completion_tokens });
      // Every output item travels whole: the message item carries its content parts as Azure sent them.
      expect(created.output[0]).toMatchObject({ type: "message", role: "assistant" });
      const read = await call(client, client.getResponse, { responseId: created.id, include: [] }, bearer(t.apiKey));
      expect(read).toMatchObject({ id: created.id, status: "completed", outputText: created.outputText });
    } finally {
      client.close();
    }
  });

  it("streams the events with their types, sequence numbers and the whole event", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const events = await collect<ResponseStreamEvent>(client.streamResponse(CreateResponseRequest.fromPartial({ model: "o4-mini", inputText: "Hello" }), bearer(t.apiKey)));
      expect(events[0]?.type).toBe("response.created");
      expect(events.at(-1)?.type).toBe("response.completed");
      expect(events.map((e) => e.sequenceNumber)).toEqual(events.map((_, i) => i));
      const deltas = events.filter((e) => e.type === "response.output_text.delta");
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.every((e) => e.delta !== "" && e.itemId.startsWith("msg_"))).toBe(true);
      const last = events.at(-1);
      expect(last?.response?.usage?.reasoningTokens).toBeGreaterThan(0);
      expect(last?.event).toMatchObject({ type: "response.completed", sequence_number: last?.sequenceNumber });
    } finally {
      client.close();
    }
  });

  it("carries input items and tools as JSON, and refuses extra_body over modeled fields", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const tool = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };
      const r = await call(
        client,
        client.createResponse,
        CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", input: [{ role: "user", content: [{ type: "input_text", text: "Weather?" }] }], tools: [tool], extraBody: { tool_choice: "required" } }),
        bearer(t.apiKey),
      );
      expect(r.output[0]).toMatchObject({ type: "function_call", name: "get_weather" });
      const sent = t.emulator.requests.at(-1)?.body;
      expect(sent).toMatchObject({ tools: [tool], tool_choice: "required", input: [{ role: "user", content: [{ type: "input_text", text: "Weather?" }] }] });
      const err = await call(client, client.createResponse, CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: "x", extraBody: { model: "other" } }), bearer(t.apiKey)).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });

  it("an unknown response id is NOT_FOUND; a malformed one INVALID_ARGUMENT; no key UNAUTHENTICATED", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const unknown = await call(client, client.getResponse, { responseId: `resp_${"0".repeat(48)}`, include: [] }, bearer(t.apiKey)).catch((e: unknown) => e);
      expect(isServiceError(unknown) && unknown.code).toBe(status.NOT_FOUND);
      const malformed = await call(client, client.deleteResponse, { responseId: "../x" }, bearer(t.apiKey)).catch((e: unknown) => e);
      expect(isServiceError(malformed) && malformed.code).toBe(status.INVALID_ARGUMENT);
      const anonymous = await call(client, client.getResponse, { responseId: `resp_${"0".repeat(48)}`, include: [] }, new Metadata()).catch((e: unknown) => e);
      expect(isServiceError(anonymous) && anonymous.code).toBe(status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  it("legacy completions over ChatService, unary and streamed", async () => {
    const client: ChatServiceClient = chatClient(t.grpcAddress);
    try {
      const r = await call(client, client.createCompletion, CompletionRequest.fromPartial({ model: "gpt-35-turbo-instruct", prompt: ["Say"], maxTokens: 4 }), bearer(t.apiKey));
      expect(r.choices[0]?.text.trim().split(" ")).toHaveLength(4);
      expect(r.usage?.completionTokens).toBe(4);
      const chunks = await collect<Completion>(
        client.streamCompletion(CompletionRequest.fromPartial({ model: "gpt-35-turbo-instruct", prompt: ["Say"], maxTokens: 3, streamOptions: { includeUsage: true } }), bearer(t.apiKey)),
      );
      expect(chunks.flatMap((c) => c.choices.map((x) => x.text)).join("").trim().split(" ")).toHaveLength(3);
      expect(chunks.at(-1)?.usage?.completionTokens).toBe(3);
      const model = await call(client, client.getModel, { model: "gpt-4o" }, bearer(t.apiKey));
      expect(model).toMatchObject({ id: "gpt-4o", object: "model" });
    } finally {
      client.close();
    }
  });
});

describe("ResponsesService with buf curl through reflection alone", () => {
  const base = (): string => `http://${t.grpcAddress}`;

  it("lists the service and its methods", async () => {
    expect(await bufCurl("--list-services", base())).toContain("aik.v1.ResponsesService");
    const methods = await bufCurl("--list-methods", base());
    for (const m of ["CreateResponse", "StreamResponse", "GetResponse", "ResumeResponse", "DeleteResponse", "CancelResponse", "ListInputItems"]) {
      expect(methods).toContain(`aik.v1.ResponsesService/${m}`);
    }
  });

  it("creates, streams and gets", async () => {
    const auth = ["-H", `Authorization: Bearer ${t.apiKey}`];
    const created = JSON.parse(await bufCurl(...auth, "-d", JSON.stringify({ model: "gpt-4o-mini", input_text: "Hello" }), `${base()}/aik.v1.ResponsesService/CreateResponse`));
    expect(created).toMatchObject({ status: "completed", object: "response" });
    expect(created.output_text.length).toBeGreaterThan(0);
    expect(created.usage.input_tokens).toBeGreaterThan(0);
    const streamed = await bufCurl(...auth, "-d", JSON.stringify({ model: "gpt-4o-mini", input_text: "Hello" }), `${base()}/aik.v1.ResponsesService/StreamResponse`);
    const events = streamed.split(/\n(?=\{)/).map((m) => JSON.parse(m));
    expect(events[0].type).toBe("response.created");
    expect(events.at(-1).type).toBe("response.completed");
    const got = JSON.parse(await bufCurl(...auth, "-d", JSON.stringify({ response_id: created.id }), `${base()}/aik.v1.ResponsesService/GetResponse`));
    expect(got).toMatchObject({ id: created.id, status: "completed", output_text: created.output_text });
  });
});
