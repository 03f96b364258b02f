// One interface over both front doors (HTTP via the openai SDK, gRPC via generated clients) for the shared case table.
import OpenAI from "openai";
import { status, type ServiceError } from "@grpc/grpc-js";
import {
  ChatCompletionRequest,
  FinishReason,
  ResponseFormat_Type,
  ChatRole,
  type ChatCompletionChunk,
  type ChatServiceClient,
} from "../../gen/aik/v1/chat.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";

/** A chat request in OpenAI's JSON shape; the gRPC door converts it to the proto. */
export interface ChatCase {
  model: string;
  messages: Array<{ role: "system" | "user" | "assistant" | "developer"; content: string }>;
  max_tokens?: number;
  temperature?: number;
  n?: number;
  tools?: Array<{ type: "function"; function: { name: string; parameters?: Record<string, unknown> } }>;
  tool_choice?: "auto" | "none" | "required";
  response_format?: { type: "json_object" | "text" };
}

export interface Completion {
  contents: string[];
  finishReasons: string[];
  toolCalls: Array<{ name: string; arguments: string }>;
  usage: { prompt: number; completion: number; total: number } | undefined;
}

export interface StreamResult {
  content: string;
  finishReason: string | undefined;
  usageChunks: number;
  usage: { prompt: number; completion: number; total: number } | undefined;
  emptyChoiceChunks: number;
}

export type ErrorKind = "invalid_argument" | "not_found" | "rate_limited" | "bad_gateway" | "timeout" | "unauthenticated" | "other";

export interface FailureInfo {
  kind: ErrorKind;
  /** HTTP: error.code; gRPC: ErrorInfo reason lower-cased is not decoded here, so the status details text. */
  code: string | undefined;
  message: string;
  retryAfterMs: number | undefined;
}

export interface FrontDoor {
  readonly name: "http" | "grpc";
  chat(c: ChatCase): Promise<Completion>;
  stream(c: ChatCase, includeUsage: boolean): Promise<StreamResult>;
  embed(model: string, input: string[]): Promise<{ vectors: number; dims: number; promptTokens: number }>;
  models(): Promise<string[]>;
  /** Runs `fn` and returns how it failed; fails the test if it succeeded. */
  failure(fn: () => Promise<unknown>): Promise<FailureInfo>;
  close(): void;
}

const FINISH_NAMES: Record<number, string> = {
  [FinishReason.FINISH_REASON_STOP]: "stop",
  [FinishReason.FINISH_REASON_LENGTH]: "length",
  [FinishReason.FINISH_REASON_TOOL_CALLS]: "tool_calls",
  [FinishReason.FINISH_REASON_CONTENT_FILTER]: "content_filter",
};

export function httpDoor(baseUrl: string, apiKey = "unused"): FrontDoor {
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
  return {
    name: "http",
    async chat(c) {
      const r = await client.chat.completions.create({ ...c, stream: false });
      return {
        contents: r.choices.map((ch) => ch.message.content ?? ""),
        finishReasons: r.choices.map((ch) => ch.finish_reason),
        toolCalls: r.choices.flatMap((ch) =>
          (ch.message.tool_calls ?? []).flatMap((t) => (t.type === "function" ? [{ name: t.function.name, arguments: t.function.arguments }] : [])),
        ),
        usage: r.usage ? { prompt: r.usage.prompt_tokens, completion: r.usage.completion_tokens, total: r.usage.total_tokens } : undefined,
      };
    },
    async stream(c, includeUsage) {
      const s = await client.chat.completions.create({ ...c, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });
      const out: StreamResult = { content: "", finishReason: undefined, usageChunks: 0, usage: undefined, emptyChoiceChunks: 0 };
      for await (const chunk of s) {
        if (chunk.choices.length === 0) out.emptyChoiceChunks++;
        for (const ch of chunk.choices) {
          out.content += ch.delta?.content ?? "";
          if (ch.finish_reason) out.finishReason = ch.finish_reason;
        }
        if (chunk.usage) {
          out.usageChunks++;
          out.usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens, total: chunk.usage.total_tokens };
        }
      }
      return out;
    },
    async embed(model, input) {
      const r = await client.embeddings.create({ model, input });
      return { vectors: r.data.length, dims: r.data[0]?.embedding.length ?? 0, promptTokens: r.usage.prompt_tokens };
    },
    async models() {
      const page = await client.models.list();
      return page.data.map((m) => m.id);
    },
    async failure(fn) {
      try {
        await fn();
      } catch (err) {
        if (err instanceof OpenAI.APIError) {
          const kinds: Record<number, ErrorKind> = { 400: "invalid_argument", 401: "unauthenticated", 404: "not_found", 429: "rate_limited", 502: "bad_gateway", 504: "timeout" };
          const retry = err.headers?.get("retry-after-ms");
          return {
            kind: kinds[err.status ?? 0] ?? "other",
            code: typeof err.code === "string" ? err.code : undefined,
            message: err.message,
            retryAfterMs: retry ? Number(retry) : undefined,
          };
        }
        throw err;
      }
      throw new Error("expected the call to fail");
    },
    close() {},
  };
}

function toProto(c: ChatCase, includeUsage?: boolean): ChatCompletionRequest {
  const roles = { system: ChatRole.CHAT_ROLE_SYSTEM, user: ChatRole.CHAT_ROLE_USER, assistant: ChatRole.CHAT_ROLE_ASSISTANT, developer: ChatRole.CHAT_ROLE_DEVELOPER };
  return ChatCompletionRequest.fromPartial({
    model: c.model,
    messages: c.messages.map((m) => ({ role: roles[m.role], content: { $case: "text", value: m.content } })),
    maxTokens: c.max_tokens,
    temperature: c.temperature,
    n: c.n,
    tools: c.tools?.map((t) => ({ type: t.type, function: { name: t.function.name, parameters: t.function.parameters } })),
    toolChoice: c.tool_choice ? { choice: { $case: "mode", value: c.tool_choice } } : undefined,
    responseFormat: c.response_format
      ? { type: c.response_format.type === "json_object" ? ResponseFormat_Type.TYPE_JSON_OBJECT : ResponseFormat_Type.TYPE_TEXT }
      : undefined,
    streamOptions: includeUsage ? { includeUsage: true } : undefined,
  });
}

const GRPC_KINDS: Partial<Record<status, ErrorKind>> = {
  [status.INVALID_ARGUMENT]: "invalid_argument",
  [status.UNAUTHENTICATED]: "unauthenticated",
  [status.NOT_FOUND]: "not_found",
  [status.RESOURCE_EXHAUSTED]: "rate_limited",
  [status.UNAVAILABLE]: "bad_gateway",
  [status.DEADLINE_EXCEEDED]: "timeout",
};

export function grpcDoor(address: string, apiKey?: string): FrontDoor {
  const client: ChatServiceClient = chatClient(address);
  const md = () => bearer(apiKey);
  return {
    name: "grpc",
    async chat(c) {
      const r = await call(client, client.createChatCompletion, toProto(c), md());
      return {
        contents: r.choices.map((ch) => (ch.message?.content?.$case === "text" ? ch.message.content.value : "")),
        finishReasons: r.choices.map((ch) => FINISH_NAMES[ch.finishReason] ?? "unknown"),
        toolCalls: r.choices.flatMap((ch) => (ch.message?.toolCalls ?? []).map((t) => ({ name: t.function?.name ?? "", arguments: t.function?.arguments ?? "" }))),
        usage: r.usage ? { prompt: r.usage.promptTokens, completion: r.usage.completionTokens, total: r.usage.totalTokens } : undefined,
      };
    },
    stream(c, includeUsage) {
      return new Promise((resolve, reject) => {
        const out: StreamResult = { content: "", finishReason: undefined, usageChunks: 0, usage: undefined, emptyChoiceChunks: 0 };
        const s = client.streamChatCompletion(toProto(c, includeUsage), md());
        s.on("data", (chunk: ChatCompletionChunk) => {
          if (chunk.choices.length === 0) out.emptyChoiceChunks++;
          for (const ch of chunk.choices) {
            out.content += ch.delta?.content ?? "";
            if (ch.finishReason) out.finishReason = FINISH_NAMES[ch.finishReason];
          }
          if (chunk.usage) {
            out.usageChunks++;
            out.usage = { prompt: chunk.usage.promptTokens, completion: chunk.usage.completionTokens, total: chunk.usage.totalTokens };
          }
        });
        s.on("error", reject);
        s.on("end", () => resolve(out));
      });
    },
    async embed(model, input) {
      const r = await call(client, client.createEmbedding, { model, deployment: "", input, user: "" }, md());
      return { vectors: r.data.length, dims: r.data[0]?.embedding.length ?? 0, promptTokens: r.usage?.promptTokens ?? 0 };
    },
    async models() {
      const r = await call(client, client.listModels, {}, md());
      return r.data.map((m) => m.id);
    },
    async failure(fn) {
      try {
        await fn();
      } catch (err) {
        if (isServiceError(err)) return grpcFailure(err);
        throw err;
      }
      throw new Error("expected the call to fail");
    },
    close() {
      client.close();
    },
  };
}

function grpcFailure(err: ServiceError): FailureInfo {
  const retry = err.metadata.get("retry-after-ms")[0];
  return {
    kind: GRPC_KINDS[err.code] ?? "other",
    code: undefined,
    message: err.details,
    retryAfterMs: retry === undefined ? undefined : Number(retry),
  };
}
