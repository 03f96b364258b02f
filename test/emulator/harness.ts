// Shared test plumbing: an emulator on port 0, a raw HTTP client, and an SSE splitter.
import type { IncomingHttpHeaders } from "node:http";
import { request } from "undici";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";

export const API_KEY = "test-key-0123456789";
export const GA = "2024-10-21";
export const PREVIEW = "2025-04-01-preview";

export const TEST_DEPLOYMENTS: EmulatorOptions["deployments"] = [
  { name: "gpt-4o", model: "gpt-4o" },
  { name: "mini", model: "gpt-4o-mini", region: "Sweden Central" },
  { name: "reasoner", model: "o4-mini" },
  { name: "embed-small", model: "text-embedding-3-small" },
  { name: "embed-large", model: "text-embedding-3-large" },
  { name: "ada", model: "text-embedding-ada-002" },
];

export function startTestEmulator(overrides: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return startEmulator({ apiKey: API_KEY, deployments: TEST_DEPLOYMENTS, ...overrides });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
}

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  rawBody?: string;
  /** Default: the right api-key header. */
  auth?: "api-key" | "bearer" | "none" | { header: string; value: string };
}

export async function call(emu: Emulator, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const auth = opts.auth ?? "api-key";
  if (auth === "api-key") headers["api-key"] = API_KEY;
  else if (auth === "bearer") headers.authorization = `Bearer ${API_KEY}`;
  else if (auth !== "none") headers[auth.header] = auth.value;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const started = Date.now();
  const res = await request(`${emu.url}${path}`, {
    method: opts.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: Date.now() - started };
}

export const classicChat = (deployment = "gpt-4o", version = GA): string =>
  `/openai/deployments/${deployment}/chat/completions?api-version=${version}`;
export const classicEmbeddings = (deployment = "embed-small", version = GA): string =>
  `/openai/deployments/${deployment}/embeddings?api-version=${version}`;

export const hello = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  messages: [{ role: "user", content: "Say hello to the SECRET-PROMPT-MARKER please" }],
  ...extra,
});

/** The `data:` payloads of an SSE body, in order, asserting the framing on the way. */
export function sseData(text: string): string[] {
  if (!text.endsWith("\n\n")) throw new Error("SSE body must end with a blank line");
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      if (!event.startsWith("data: ") || event.includes("\n")) throw new Error(`not a data-only event: ${event}`);
      return event.slice(6);
    });
}

/** Parses a body into the shape a test expects; the test's assertions are what check it. */
export function parseAs<T>(text: string): T {
  return JSON.parse(text);
}

export interface UsageJson {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
  prompt_tokens_details?: { cached_tokens: number };
}

export interface ToolCallJson {
  index?: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}

export interface ChatJson {
  id: string;
  object: string;
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    finish_reason: string;
    logprobs: null;
    content_filter_results: Record<string, unknown>;
    message: { role: string; content: string | null; refusal: null; annotations: unknown[]; tool_calls?: ToolCallJson[] };
  }>;
  prompt_filter_results: unknown[];
  usage: UsageJson;
}

export interface ChunkJson {
  id: string;
  object: string;
  created: number;
  model: string;
  system_fingerprint?: string;
  prompt_filter_results?: unknown[];
  choices: Array<{
    index: number;
    finish_reason: string | null;
    logprobs: null;
    content_filter_results: Record<string, unknown>;
    delta: { role?: string; content?: string | null; refusal?: null; tool_calls?: ToolCallJson[] };
  }>;
  usage?: UsageJson;
}

export interface ErrorJson {
  error: { message: string; type?: string | null; param?: string | null; code: string | null };
}

/** The chunks of a stream (everything but the final [DONE], which is checked). */
export function streamChunks(text: string): ChunkJson[] {
  const data = sseData(text);
  if (data[data.length - 1] !== "[DONE]") throw new Error("stream must end with data: [DONE]");
  return data.slice(0, -1).map((d) => parseAs<ChunkJson>(d));
}

/** A Responses API stream event as the wire carries it: `event: <type>` then one `data:` line naming the same type. */
export interface NamedEvent {
  event: string;
  data: { type: string; sequence_number: number; [field: string]: unknown };
}

/** The named events of an SSE body; `partial` drops a last event cut off mid-way (a broken or abandoned stream). */
export function namedEvents(text: string, partial = false): NamedEvent[] {
  const blocks = text.split("\n\n");
  const tail = blocks.pop();
  if (!partial && tail !== "") throw new Error("SSE body must end with a blank line");
  return blocks.map((block) => {
    const match = /^event: ([a-z_.]+)\ndata: (\{.*\})$/.exec(block);
    if (!match?.[1] || !match[2]) throw new Error(`not a named event: ${block.slice(0, 80)}`);
    const data = parseAs<NamedEvent["data"]>(match[2]);
    if (data.type !== match[1]) throw new Error(`event ${match[1]} carries type ${data.type}`);
    return { event: match[1], data };
  });
}

/** Reads a stream until `enough` says stop (then drops the connection) or it ends; reports a broken connection. */
export async function readStreamUntil(
  emu: Emulator,
  path: string,
  opts: { method?: "GET" | "POST"; body?: unknown },
  enough: (text: string) => boolean = () => false,
): Promise<{ status: number; text: string; broken: boolean; stopped: boolean }> {
  const res = await request(`${emu.url}${path}`, {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    headers: { "api-key": API_KEY, "content-type": "application/json" },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  let text = "";
  try {
    for await (const chunk of res.body) {
      text += String(chunk);
      if (enough(text)) {
        res.body.destroy();
        return { status: res.statusCode, text, broken: false, stopped: true };
      }
    }
  } catch {
    return { status: res.statusCode, text, broken: true, stopped: false };
  }
  return { status: res.statusCode, text, broken: false, stopped: false };
}
