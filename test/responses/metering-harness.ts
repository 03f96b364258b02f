// Shared helpers of the Responses metering suites: HTTP and gRPC calls that keep the request id, and the usage rows they made.
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import postgres from "postgres";
import { request } from "undici";
import { expect } from "vitest";
import { ResponsesServiceClient, type CreateResponseRequest, type Response as ProtoResponse, type ResponseStreamEvent } from "../../gen/aik/v1/responses.js";
import type { Usage } from "../../src/emulator/api.js";
import type { TestGateway } from "../support/gateway.js";
import { bearer } from "../support/grpc-client.js";
import type { Provisioned } from "../support/identity.js";
import { storedRecords, until, type StoredRecord } from "../support/usage-db.js";

export interface Reply {
  /** The gateway's x-request-id: the usage record's request_id. */
  requestId: string;
  status: number;
  text: string;
  json: any;
}

/** One HTTP call to a gateway; `abortAfterEvents` abandons an SSE answer after that many events. */
export async function http(base: string, key: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown, abortAfterEvents?: number): Promise<Reply> {
  const ac = new AbortController();
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: ac.signal,
  });
  const requestId = String(res.headers["x-request-id"]);
  let text = "";
  try {
    for await (const chunk of res.body) {
      text += String(chunk);
      if (abortAfterEvents !== undefined && text.split("\n\n").length - 1 >= abortAfterEvents) {
        ac.abort();
        break;
      }
    }
  } catch {
    // the abandonment
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { requestId, status: res.statusCode, text, json };
}

/** The `data:` objects of an SSE body with `event:` lines. */
export function events(text: string): any[] {
  return text
    .split("\n\n")
    .flatMap((block) => block.split("\n").filter((l) => l.startsWith("data: ")))
    .map((l) => JSON.parse(l.slice(6)));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A usage record as Azure's usage for that response reads it. */
export function expected(u: Usage | undefined): Pick<StoredRecord, "prompt_tokens" | "cached_tokens" | "completion_tokens" | "reasoning_tokens"> {
  if (!u) throw new Error("the emulator has no usage for this response");
  return { prompt_tokens: u.prompt_tokens, cached_tokens: u.cached_tokens ?? 0, completion_tokens: u.completion_tokens, reasoning_tokens: u.reasoning_tokens ?? 0 };
}

/** A Responses usage object (input/output tokens) as a usage record's columns. */
export function fromResponseUsage(u: any): Pick<StoredRecord, "prompt_tokens" | "cached_tokens" | "completion_tokens" | "reasoning_tokens"> {
  return {
    prompt_tokens: u.input_tokens,
    cached_tokens: u.input_tokens_details?.cached_tokens ?? 0,
    completion_tokens: u.output_tokens,
    reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0,
  };
}

export function harness(get: () => TestGateway) {
  let sql: postgres.Sql | undefined;
  const db = (): postgres.Sql => (sql ??= postgres(get().databaseUrl, { onnotice: () => {}, max: 2 }));
  return {
    post: (key: string, body: Record<string, unknown>, abortAfterEvents?: number) => http(get().httpUrl, key, "POST", "/v1/responses", body, abortAfterEvents),
    poll: (key: string, id: string, base = get().httpUrl) => http(base, key, "GET", `/v1/responses/${id}`),
    rows: (u: Provisioned) => storedRecords(get().databaseUrl, { keyIds: [u.keyId] }),
    pending: async (objectId: string) => db()<Array<{ request_id: string }>>`select request_id from pending_usage where object_id = ${objectId}`,
    /** Azure's (the emulator's) usage for the model call the gateway made for this request. */
    azureUsage: (requestId: string) => get().emulator.requests.find((q) => q.clientRequestId === requestId && q.method === "POST")?.usage,
    /**
     * Records reach Postgres in order through one writer: once a later create's row is there, any
     * row an earlier call's answer would have produced is there too (a locally counted one may lag:
     * wait for it first).
     */
    settle: async (u: Provisioned) => {
      const marker = await http(get().httpUrl, u.apiKey, "POST", "/v1/responses", { model: "gpt-4o-mini", input: "marker", max_output_tokens: 16 });
      expect(marker.status).toBe(200);
      await until("the marker's record", async () => (await storedRecords(get().databaseUrl, { keyIds: [u.keyId] })).some((r) => r.request_id === marker.requestId), 10_000);
      return marker.requestId;
    },
    close: async () => sql?.end(),
  };
}

export function grpcClient(address: string): ResponsesServiceClient {
  return new ResponsesServiceClient(address, credentials.createInsecure());
}

export function grpcCreate(address: string, key: string, req: CreateResponseRequest): Promise<{ requestId: string; response: ProtoResponse }> {
  const client = grpcClient(address);
  return new Promise((resolve, reject) => {
    let requestId = "";
    const call = client.createResponse(req, bearer(key), (err: ServiceError | null, response: ProtoResponse) => {
      client.close();
      if (err) reject(err);
      else resolve({ requestId, response });
    });
    call.on("metadata", (md: Metadata) => (requestId = String(md.get("x-request-id")[0])));
  });
}

export function grpcStream(address: string, key: string, req: CreateResponseRequest): Promise<{ requestId: string; events: ResponseStreamEvent[] }> {
  const client = grpcClient(address);
  return new Promise((resolve, reject) => {
    let requestId = "";
    const seen: ResponseStreamEvent[] = [];
    const s = client.streamResponse(req, bearer(key));
    s.on("metadata", (md: Metadata) => (requestId = String(md.get("x-request-id")[0])));
    s.on("data", (e: ResponseStreamEvent) => seen.push(e));
    s.on("end", () => {
      client.close();
      resolve({ requestId, events: seen });
    });
    s.on("error", (err) => {
      client.close();
      reject(err);
    });
  });
}
