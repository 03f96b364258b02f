// A steady mixed load through the load balancer: unary and streamed chat over the openai SDK (HTTP) and over gRPC, every answer recorded with its request id.
import { Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import OpenAI, { APIError } from "openai";
import { ChatCompletionRequest, ChatRole, type ChatCompletionChunk, type ChatServiceClient } from "../../gen/aik/v1/chat.js";
import { bearer, chatClient } from "../support/grpc-client.js";

export type Kind = "http-unary" | "http-stream" | "grpc-unary" | "grpc-stream";
export const KINDS: readonly Kind[] = ["http-unary", "http-stream", "grpc-unary", "grpc-stream"];

/** What one request came to, as its client saw it. */
export interface Outcome {
  readonly kind: Kind;
  /** The API key's label (which key sent it). */
  readonly key: string;
  /** From x-request-id (HTTP header, gRPC initial or trailing metadata); undefined when none came back. */
  readonly requestId: string | undefined;
  /** ok: a complete answer (a stream ended with [DONE] / status OK); rate_limited: 429 / RESOURCE_EXHAUSTED. */
  readonly result: "ok" | "rate_limited" | "failed";
  readonly detail: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

const MODEL = "gpt-4o-mini";
const PROMPT = "Say something short.";

/** A fetch for the openai SDK that also tells, per request id, whether an SSE body ended with `data: [DONE]` (the SDK does not say). */
function doneWatchingFetch(ends: Map<string, Promise<boolean>>): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const id = res.headers.get("x-request-id");
    if (res.body === null || id === null || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return res;
    const decoder = new TextDecoder();
    let tail = "";
    let ended: (done: boolean) => void = () => undefined;
    ends.set(id, new Promise((resolve) => (ended = resolve)));
    const watched = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          tail = (tail + decoder.decode(chunk, { stream: true })).slice(-64);
          controller.enqueue(chunk);
        },
        flush() {
          ended(/data: \[DONE\]\s*$/.test(tail));
        },
      }),
    );
    return new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** One caller: an openai SDK client and a gRPC client, both pointed at the load balancer, with one API key. */
export class Caller {
  private readonly sdk: OpenAI;
  private readonly grpc: ChatServiceClient;
  private readonly ends = new Map<string, Promise<boolean>>();

  constructor(
    balancer: { readonly httpUrl: string; readonly grpcAddress: string },
    private readonly apiKey: string,
    readonly label: string,
  ) {
    // No SDK retries: a retried request could be a second one at the gateway, and the test must see every answer.
    this.sdk = new OpenAI({ baseURL: `${balancer.httpUrl}/v1`, apiKey, maxRetries: 0, timeout: 60_000, fetch: doneWatchingFetch(this.ends) });
    this.grpc = chatClient(balancer.grpcAddress);
  }

  close(): void {
    this.grpc.close();
  }

  send(kind: Kind): Promise<Outcome> {
    const startedAt = performance.now();
    const run = kind === "http-unary" ? this.httpUnary() : kind === "http-stream" ? this.httpStream() : kind === "grpc-unary" ? this.grpcUnary() : this.grpcStream();
    return run.then((o) => ({ ...o, kind, key: this.label, startedAt, endedAt: performance.now() }));
  }

  private async httpUnary(): Promise<Pick<Outcome, "requestId" | "result" | "detail">> {
    try {
      const { data, response } = await this.sdk.chat.completions.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: PROMPT }] }).withResponse();
      const requestId = response.headers.get("x-request-id") ?? undefined;
      const complete = data.choices[0]?.finish_reason !== undefined && data.usage !== undefined;
      return { requestId, result: complete ? "ok" : "failed", detail: complete ? "" : "an answer without finish_reason or usage" };
    } catch (err) {
      return httpFailure(err);
    }
  }

  private async httpStream(): Promise<Pick<Outcome, "requestId" | "result" | "detail">> {
    let requestId: string | undefined;
    try {
      const { data: stream, response } = await this.sdk.chat.completions.create({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: PROMPT }] }).withResponse();
      requestId = response.headers.get("x-request-id") ?? undefined;
      let finished = false;
      for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) finished = true;
      const done = requestId === undefined ? false : await this.ends.get(requestId);
      if (requestId !== undefined) this.ends.delete(requestId);
      if (!finished || done !== true) return { requestId, result: "failed", detail: `stream ended ${finished ? "" : "without a finish_reason "}${done === true ? "" : "without [DONE]"}` };
      return { requestId, result: "ok", detail: "" };
    } catch (err) {
      if (requestId !== undefined) this.ends.delete(requestId);
      const failure = httpFailure(err);
      return { ...failure, requestId: failure.requestId ?? requestId };
    }
  }

  private grpcUnary(): Promise<Pick<Outcome, "requestId" | "result" | "detail">> {
    return new Promise((resolve) => {
      let requestId: string | undefined;
      const call = this.grpc.createChatCompletion(chatRequest(), bearer(this.apiKey), (err: ServiceError | null) => {
        requestId ??= requestIdOf(err?.metadata);
        resolve(err ? grpcFailure(err.code, err.details, requestId) : { requestId, result: "ok", detail: "" });
      });
      call.on("metadata", (md: Metadata) => (requestId ??= requestIdOf(md)));
    });
  }

  private grpcStream(): Promise<Pick<Outcome, "requestId" | "result" | "detail">> {
    return new Promise((resolve) => {
      let requestId: string | undefined;
      let usage = false;
      const stream = this.grpc.streamChatCompletion({ ...chatRequest(), streamOptions: { includeUsage: true } }, bearer(this.apiKey));
      stream.on("metadata", (md: Metadata) => (requestId ??= requestIdOf(md)));
      stream.on("data", (chunk: ChatCompletionChunk) => (usage ||= chunk.usage !== undefined));
      // The status comes last, after every message; errors are reported through it as well.
      stream.on("error", () => undefined);
      stream.on("status", (s: StatusObject) => {
        requestId ??= requestIdOf(s.metadata);
        if (s.code !== status.OK) resolve(grpcFailure(s.code, s.details, requestId));
        else resolve(usage ? { requestId, result: "ok", detail: "" } : { requestId, result: "failed", detail: "stream ended OK without its usage message" });
      });
    });
  }
}

function chatRequest(): ChatCompletionRequest {
  return ChatCompletionRequest.fromPartial({
    model: MODEL,
    maxTokens: 16,
    messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: PROMPT } }],
  });
}

function requestIdOf(md: Metadata | undefined): string | undefined {
  const value = md?.get("x-request-id")[0];
  return value === undefined ? undefined : String(value);
}

function httpFailure(err: unknown): Pick<Outcome, "requestId" | "result" | "detail"> {
  if (err instanceof APIError) {
    const requestId = err.headers?.get("x-request-id") ?? undefined;
    if (err.status === 429) return { requestId, result: "rate_limited", detail: String(err.code) };
    return { requestId, result: "failed", detail: `HTTP ${String(err.status)} ${String(err.code)}: ${err.message}` };
  }
  return { requestId: undefined, result: "failed", detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

function grpcFailure(code: status, details: string, requestId: string | undefined): Pick<Outcome, "requestId" | "result" | "detail"> {
  if (code === status.RESOURCE_EXHAUSTED) return { requestId, result: "rate_limited", detail: details };
  return { requestId, result: "failed", detail: `gRPC ${status[code]}: ${details}` };
}

/** Closed loops, `perKind` of each kind, until stop(); every outcome lands in `outcomes`. */
export function steadyLoad(caller: Caller, perKind: number, outcomes: Outcome[]): { stop(): Promise<void> } {
  let stopping = false;
  const loops = KINDS.flatMap((kind) =>
    Array.from({ length: perKind }, async () => {
      while (!stopping) outcomes.push(await caller.send(kind));
    }),
  );
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
