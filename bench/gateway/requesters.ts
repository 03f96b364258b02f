// One request of each kind the load generator sends, over undici (HTTP) or the generated grpc-js client, timed.
import { credentials, Metadata } from "@grpc/grpc-js";
import { Pool } from "undici";
import { ChatCompletionRequest, ChatRole, ChatServiceClient } from "../../gen/aik/v1/chat.js";
import type { LoadSpec } from "./load-spec.js";
import { DEPLOYMENT, MAX_TOKENS, PROMPT } from "./scenarios.js";

export interface Sample {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Streams: time to the first body chunk or message. */
  readonly ttfbMs: number | undefined;
  /** HTTP streams with a `firstToken` pattern: time to the first chunk carrying content. */
  readonly ttftMs?: number | undefined;
  /** What went wrong, for the first failure's report (status and a short body excerpt; never needed otherwise). */
  readonly error?: string;
}

export interface Requester {
  one(): Promise<Sample>;
  close(): Promise<void>;
}

export function requester(spec: LoadSpec): Requester {
  return spec.protocol === "http" ? httpRequester(spec) : grpcRequester(spec);
}

function httpRequester(spec: LoadSpec): Requester {
  // One connection per worker, as a closed-loop client would hold.
  const pool = new Pool(spec.target, { connections: spec.concurrency, keepAliveTimeout: 60_000 });
  const headers = { "content-type": "application/json", ...spec.headers };
  const firstToken = spec.firstToken === "" ? undefined : new RegExp(spec.firstToken);
  return {
    async one() {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: "POST", path: spec.path, headers, body: spec.body });
        if (spec.stream) {
          let ttfbMs: number | undefined;
          let ttftMs: number | undefined;
          let last = "";
          let complete = false;
          for await (const chunk of res.body) {
            const now = performance.now() - t0;
            ttfbMs ??= now;
            // A window over chunk boundaries, so the markers are found wherever the stream splits them.
            const window = last + String(chunk);
            if (ttftMs === undefined && firstToken?.test(window)) ttftMs = now;
            complete ||= window.includes(spec.complete);
            last = window.slice(-64);
          }
          const ok = res.statusCode === 200 && complete && (firstToken === undefined || ttftMs !== undefined);
          return { ok, latencyMs: performance.now() - t0, ttfbMs, ttftMs, error: ok ? undefined : `HTTP ${res.statusCode}: ...${last}` };
        }
        const text = await res.body.text();
        const ok = res.statusCode === 200 && text.includes(spec.complete);
        return { ok, latencyMs: performance.now() - t0, ttfbMs: undefined, error: ok ? undefined : `HTTP ${res.statusCode}: ${text.slice(0, 300)}` };
      } catch (err) {
        return { ok: false, latencyMs: performance.now() - t0, ttfbMs: undefined, error: String(err) };
      }
    },
    close: () => pool.close(),
  };
}

function grpcRequester(spec: LoadSpec): Requester {
  const client = new ChatServiceClient(spec.target, credentials.createInsecure());
  const request = ChatCompletionRequest.fromPartial({
    model: DEPLOYMENT,
    messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: PROMPT } }],
    maxTokens: MAX_TOKENS,
    streamOptions: spec.stream ? { includeUsage: true } : undefined,
  });
  const metadata = (): Metadata => {
    const md = new Metadata();
    for (const [k, v] of Object.entries(spec.headers)) md.set(k, v);
    return md;
  };
  return {
    one: () =>
      new Promise<Sample>((resolve) => {
        const t0 = performance.now();
        if (!spec.stream) {
          client.createChatCompletion(request, metadata(), (err, res) => {
            const ok = err === null && res.choices.length > 0;
            resolve({ ok, latencyMs: performance.now() - t0, ttfbMs: undefined, error: ok ? undefined : String(err?.message ?? "no choices") });
          });
          return;
        }
        let ttfbMs: number | undefined;
        const call = client.streamChatCompletion(request, metadata());
        call.on("data", () => {
          ttfbMs ??= performance.now() - t0;
        });
        call.on("end", () => resolve({ ok: true, latencyMs: performance.now() - t0, ttfbMs }));
        call.on("error", (err: Error) => resolve({ ok: false, latencyMs: performance.now() - t0, ttfbMs, error: err.message }));
      }),
    close: async () => client.close(),
  };
}
