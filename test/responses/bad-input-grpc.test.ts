// Malformed and hostile Responses API input over gRPC: INVALID_ARGUMENT or NOT_FOUND, and nothing sent upstream.
import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CreateResponseRequest } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, collect, responsesClient } from "../support/grpc-client.js";
import { grpcFailure } from "../transport/hostile-wire.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

const randomResponseId = (): string => `resp_${randomBytes(24).toString("hex")}`;

describe("the same refusals over gRPC", () => {
  const key = () => bearer(t.apiKey);
  /** `id` sent to every method that names a stored response. */
  const everyMethod = (client: ReturnType<typeof responsesClient>, id: string) =>
    Promise.all([
      grpcFailure(call(client, client.getResponse, { responseId: id, include: [] }, key())),
      grpcFailure(collect(client.resumeResponse({ responseId: id, include: [] }, key()))),
      grpcFailure(call(client, client.deleteResponse, { responseId: id }, key())),
      grpcFailure(call(client, client.cancelResponse, { responseId: id }, key())),
      grpcFailure(call(client, client.listInputItems, { responseId: id, order: "", after: "", include: [] }, key())),
    ]);

  it.each(["../x", "/", "resp_a/b", "resp_\r\nx", "resp_\0", `resp_${"a".repeat(300)}`, "resp_a b", " ", ""])("response id %j -> INVALID_ARGUMENT on every method", async (id) => {
    const client = responsesClient(t.grpcAddress);
    try {
      const outcomes = await everyMethod(client, id);
      for (const o of outcomes) expect(o.code, o.details).toBe(status.INVALID_ARGUMENT);
      expect(t.emulator.requests).toEqual([]);
    } finally {
      client.close();
    }
  });

  it("an unknown response id -> NOT_FOUND on every method", async () => {
    const client = responsesClient(t.grpcAddress);
    try {
      const id = randomResponseId();
      const outcomes = await everyMethod(client, id);
      for (const o of outcomes) expect(o).toEqual({ code: status.NOT_FOUND, details: "No response found with that id." });
      expect(t.emulator.requests).toEqual([]);
    } finally {
      client.close();
    }
  });

  const createCases: ReadonlyArray<readonly [string, Partial<CreateResponseRequest>, number]> = [
    ["a missing model", { model: "" }, status.INVALID_ARGUMENT],
    ["background with store: false", { background: true, store: false }, status.INVALID_ARGUMENT],
    ["previous_response_id \"../x\"", { previousResponseId: "../x" }, status.INVALID_ARGUMENT],
    ["an unknown previous_response_id", { previousResponseId: randomResponseId() }, status.NOT_FOUND],
    ["a malformed item_reference id", { inputText: "", input: [{ type: "item_reference", id: "msg_a/b" }] }, status.INVALID_ARGUMENT],
    ["max_output_tokens 0", { maxOutputTokens: 0 }, status.INVALID_ARGUMENT],
    ["max_output_tokens -1", { maxOutputTokens: -1 }, status.INVALID_ARGUMENT],
    ["an api_base override in extra_body", { extraBody: { api_base: "https://evil.example" } }, status.INVALID_ARGUMENT],
  ];
  it.each(createCases)("CreateResponse and StreamResponse with %s -> %s", async (_label, fields, code) => {
    const client = responsesClient(t.grpcAddress);
    try {
      const req: CreateResponseRequest = { ...CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: "hi" }), ...fields };
      expect((await grpcFailure(call(client, client.createResponse, req, key()))).code).toBe(code);
      expect((await grpcFailure(collect(client.streamResponse(req, key())))).code).toBe(code);
      expect(t.emulator.requests).toEqual([]);
    } finally {
      client.close();
    }
  });
});
