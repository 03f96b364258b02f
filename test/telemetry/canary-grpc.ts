// The canary's gRPC paths: the generated clients over every operation, fault and refusal, plus bytes that are not protobuf at all.
import { setTimeout as sleep } from "node:timers/promises";
import { Client, credentials, status, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { expect } from "vitest";
import { ChatCompletionRequest, ChatRole, CompletionRequest, CreateEmbeddingRequest, type ChatCompletionChunk, type Completion } from "../../gen/aik/v1/chat.js";
import { CreateResponseRequest, type ResponseStreamEvent } from "../../gen/aik/v1/responses.js";
import { bearer, call, chatClient, collect, isServiceError, responsesClient } from "../support/grpc-client.js";
import { BAD_MODEL, CANARY, UNKNOWN_MODEL, PROMPT, TOOL_DESCRIPTION, TOOL_PARAMETERS, path, until, type CanaryRun } from "./canary-run.js";

const json = (v: unknown): string => JSON.stringify(v);

const CHAT = ChatCompletionRequest.fromPartial({
  model: "gpt-4o",
  messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: PROMPT } }],
  tools: [{ type: "function", function: { name: "lookup", description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS } }],
});
const RESPONSE = CreateResponseRequest.fromPartial({
  model: "gpt-4o-mini",
  instructions: `Always mention ${CANARY}.`,
  inputText: PROMPT,
  tools: [{ type: "function", name: "lookup", description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS }],
});

/** The error a unary call ends with (it must end with one). */
async function failure(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return err;
}

/** Everything a gRPC error shows its caller: the message and the binary details. */
const shown = (e: ServiceError): string => `${e.details} ${Buffer.concat(e.metadata.get("grpc-status-details-bin").map((v) => Buffer.from(v))).toString("latin1")}`;

function streamOf<T>(s: ClientReadableStream<T>): Promise<T[]> {
  return collect<T>(s);
}

export async function sendOverGrpc(run: CanaryRun): Promise<void> {
  const chat = chatClient(run.grpcAddress);
  const responses = responsesClient(run.grpcAddress);
  const md = () => bearer(run.member.apiKey);
  const em = run.emulator;
  try {
    await path(run, "grpc chat unary and stream with a tool call", async () => {
      const unary = await call(chat, chat.createChatCompletion, CHAT, md());
      expect(json(unary.choices[0]?.message?.toolCalls)).toContain(CANARY);
      const chunks = await streamOf<ChatCompletionChunk>(chat.streamChatCompletion(CHAT, md()));
      expect(chunks.map((c) => c.choices[0]?.delta?.toolCalls?.[0]?.function?.arguments ?? "").join("")).toContain(CANARY);
    });
    await path(run, "grpc legacy completions unary and stream, echoing the prompt", async () => {
      const req = CompletionRequest.fromPartial({ model: "gpt-35-turbo-instruct", prompt: [PROMPT], extraBody: { echo: true } });
      const unary = await call(chat, chat.createCompletion, req, md());
      expect(unary.choices[0]?.text).toContain(CANARY);
      const chunks = await streamOf<Completion>(chat.streamCompletion(req, md()));
      expect(chunks.map((c) => c.choices[0]?.text ?? "").join("")).toContain(CANARY);
    });
    await path(run, "grpc embeddings", async () => {
      const r = await call(chat, chat.createEmbedding, CreateEmbeddingRequest.fromPartial({ model: "text-embedding-3-small", input: [PROMPT, CANARY] }), md());
      expect(r.data).toHaveLength(2);
    });
    await path(run, "grpc responses unary, stream, input items, delete", async () => {
      const created = await call(responses, responses.createResponse, RESPONSE, md());
      expect(json(created.output)).toContain(CANARY);
      const events = await streamOf<ResponseStreamEvent>(responses.streamResponse(RESPONSE, md()));
      expect(json(events.map((e) => e.event))).toContain(CANARY);
      const items = await call(responses, responses.listInputItems, { responseId: created.id, order: "", after: "", include: [] }, md());
      expect(json(items.data)).toContain(CANARY);
      expect((await call(responses, responses.deleteResponse, { responseId: created.id }, md())).deleted).toBe(true);
    });
    await path(run, "grpc responses background: polled, stream resumed, cancelled, deleted", async () => {
      em.setTiming({ timeToFirstTokenMs: 150, chunkDelayMs: 10 });
      const bg = await call(responses, responses.createResponse, { ...RESPONSE, background: true }, md());
      em.setTiming({ timeToFirstTokenMs: 10_000, chunkDelayMs: 10 });
      const doomed = await call(responses, responses.createResponse, { ...RESPONSE, background: true }, md());
      em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
      expect((await call(responses, responses.cancelResponse, { responseId: doomed.id }, md())).status).toBe("cancelled");
      await call(responses, responses.deleteResponse, { responseId: doomed.id }, md());
      let polled = "";
      await until("the background response completed", async () => {
        const r = await call(responses, responses.getResponse, { responseId: bg.id, include: [] }, md());
        polled = json(r);
        return r.status === "completed";
      });
      expect(polled).toContain(CANARY);
      const resumed = await streamOf<ResponseStreamEvent>(responses.resumeResponse({ responseId: bg.id, include: [], startingAfter: 1 }, md()));
      expect(json(resumed.map((e) => e.event))).toContain(CANARY);
    });
    await path(run, "grpc responses: Azure refuses a parameter named with the canary and says so", async () => {
      const err = await failure(call(responses, responses.createResponse, { ...RESPONSE, extraBody: { [`x_${CANARY}`]: true } }, md()));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(shown(err)).toContain(CANARY);
    });
    await path(run, "grpc chat: content filter, 429, 500 from Azure", async () => {
      em.setFault("gpt-4o", { fault: { kind: "content-filter" } });
      expect((await failure(call(chat, chat.createChatCompletion, CHAT, md()))).code).toBe(status.INVALID_ARGUMENT);
      // Cooling for 1 ms: the 500 after it must reach Azure, not be refused by a cooling pool.
      em.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 1 } });
      expect((await failure(call(chat, chat.createChatCompletion, CHAT, md()))).code).toBe(status.RESOURCE_EXHAUSTED);
      await sleep(5);
      em.setFault("gpt-4o", { fault: { kind: "server-error" } });
      expect((await failure(call(chat, chat.createChatCompletion, CHAT, md()))).code).toBe(status.UNAVAILABLE);
      em.setFault("gpt-4o", undefined);
    });
    await path(run, "grpc chat stream cut by Azure mid-way", async () => {
      em.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 }, times: 1 });
      const cut = await streamOf<ChatCompletionChunk>(chat.streamChatCompletion(CHAT, md())).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isServiceError(cut)).toBe(true);
    });
    await path(run, "grpc refusals: invalid key, bad and unknown model, limit, model scope", async () => {
      expect((await failure(call(chat, chat.createChatCompletion, CHAT, bearer(`aik_${CANARY}`.padEnd(53, "x"))))).code).toBe(status.UNAUTHENTICATED);
      expect((await failure(call(chat, chat.createChatCompletion, { ...CHAT, model: BAD_MODEL }, md()))).code).toBe(status.INVALID_ARGUMENT);
      expect((await failure(call(chat, chat.createChatCompletion, { ...CHAT, model: UNKNOWN_MODEL }, md()))).code).toBe(status.NOT_FOUND);
      // The HTTP paths spent this key's one request of the minute.
      expect((await failure(call(chat, chat.createChatCompletion, CHAT, bearer(run.limited.apiKey)))).code).toBe(status.RESOURCE_EXHAUSTED);
      const embed = CreateEmbeddingRequest.fromPartial({ model: "text-embedding-3-small", input: [CANARY] });
      expect((await failure(call(chat, chat.createEmbedding, embed, bearer(run.scoped.apiKey)))).code).toBe(status.PERMISSION_DENIED);
    });
    await path(run, "grpc bytes that are not a valid message, holding the canary", async () => {
      // Field 1 (model) holds the canary; field 3 then claims 127 bytes that never come.
      const text = Buffer.from(CANARY);
      const bytes = Buffer.concat([Buffer.from([0x0a, text.length]), text, Buffer.from([0x1a, 0x7f, 0x0a])]);
      const raw = new Client(run.grpcAddress, credentials.createInsecure());
      try {
        const err = await failure(
          new Promise((resolve, reject) => {
            raw.makeUnaryRequest(
              "/aik.v1.ChatService/CreateChatCompletion",
              (b: Buffer) => b,
              (b: Buffer) => b,
              bytes,
              md(),
              (e, v) => (e ? reject(e) : resolve(v)),
            );
          }),
        );
        expect(err.code).not.toBe(status.OK);
      } finally {
        raw.close();
      }
    });
  } finally {
    em.setFault("gpt-4o", undefined);
    em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    chat.close();
    responses.close();
  }
}

/** One streamed chat sent while Postgres is away. */
export async function streamOnce(run: CanaryRun): Promise<void> {
  const chat = chatClient(run.grpcAddress);
  try {
    const chunks = await streamOf<ChatCompletionChunk>(chat.streamChatCompletion(CHAT, bearer(run.member.apiKey)));
    expect(chunks.map((c) => c.choices[0]?.delta?.toolCalls?.[0]?.function?.arguments ?? "").join("")).toContain(CANARY);
  } finally {
    chat.close();
  }
}
