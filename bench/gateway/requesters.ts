// One request of each kind the load generator sends, over undici (HTTP) or node:http2 with the generated codecs (gRPC), timed.
import { connect, type IncomingHttpHeaders } from "node:http2";
import { Pool } from "undici";
import { ChatCompletion, ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import type { LoadSpec } from "./load-spec.js";
import { DEPLOYMENT, MAX_TOKENS, PROMPT } from "./scenarios.js";

export interface Sample {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Streams: time to the first body chunk or message. */
  readonly ttfbMs: number | undefined;
  /** HTTP streams with a `firstToken` pattern: time to the first chunk carrying content. */
  readonly ttftMs?: number | undefined;
  /**
   * The same chunk's transit: from the emulator handing it to its socket (its `emulator_sent_at_ms`, when the emulator
   * stamps first tokens) to this process reading it, on the one clock of this machine. Free of the emulator's own timer
   * jitter, which the TTFT carries whole.
   */
  readonly transitMs?: number | undefined;
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

/** The send time the emulator writes into a stream's first content chunk (Timing.stampFirstToken). */
const SENT_AT = /"emulator_sent_at_ms":(\d+(?:\.\d+)?)/;

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
          let transitMs: number | undefined;
          let last = "";
          let complete = false;
          for await (const chunk of res.body) {
            const now = performance.now() - t0;
            ttfbMs ??= now;
            // A window over chunk boundaries, so the markers are found wherever the stream splits them.
            const window = last + String(chunk);
            if (ttftMs === undefined && firstToken?.test(window)) {
              ttftMs = now;
              const sentAt = SENT_AT.exec(window)?.[1];
              if (sentAt !== undefined) transitMs = performance.timeOrigin + t0 + now - Number(sentAt);
            }
            complete ||= window.includes(spec.complete);
            last = window.slice(-64);
          }
          const ok = res.statusCode === 200 && complete && (firstToken === undefined || ttftMs !== undefined);
          return { ok, latencyMs: performance.now() - t0, ttfbMs, ttftMs, transitMs, error: ok ? undefined : `HTTP ${res.statusCode}: ...${last}` };
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

/** A gRPC message as it travels: 1 byte "not compressed", a 4-byte big-endian length, the protobuf bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The messages of a whole gRPC response body, each without its 5-byte prefix. */
export function messagesIn(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/**
 * gRPC over node:http2 with the generated message codecs, one HTTP/2 connection as a grpc-js channel would hold: the
 * request is encoded once. The generated grpc-js client cost the load process 45-47% of a core where the HTTP load
 * took 23-25%, on the same two cores as the gateway, so the gRPC rows measured part of the client; this requester
 * does the same work as the HTTP one (send fixed bytes, read the whole answer, check it is complete).
 */
function grpcRequester(spec: LoadSpec): Requester {
  const session = connect(`http://${spec.target}`);
  // A session error fails every call in flight and after it (each stream errors too): the row counts them as errors.
  session.on("error", () => undefined);
  const request = frame(
    ChatCompletionRequest.encode(
      ChatCompletionRequest.fromPartial({
        model: DEPLOYMENT,
        messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: PROMPT } }],
        maxTokens: MAX_TOKENS,
        streamOptions: spec.stream ? { includeUsage: true } : undefined,
      }),
    ).finish(),
  );
  const headers = {
    ":method": "POST",
    ":path": spec.stream ? "/aik.v1.ChatService/StreamChatCompletion" : "/aik.v1.ChatService/CreateChatCompletion",
    "content-type": "application/grpc",
    te: "trailers",
    ...spec.headers,
  };
  return {
    one: () =>
      new Promise<Sample>((resolve) => {
        const t0 = performance.now();
        let ttfbMs: number | undefined;
        let status: string | undefined;
        let message = "";
        const parts: Buffer[] = [];
        const call = session.request(headers, { endStream: false });
        const statusOf = (h: IncomingHttpHeaders): void => {
          if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
          if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
        };
        // A trailers-only answer (an error) carries its status in the headers.
        call.on("response", statusOf);
        call.on("trailers", statusOf);
        call.on("data", (chunk: Buffer) => {
          ttfbMs ??= performance.now() - t0;
          if (!spec.stream) parts.push(chunk);
        });
        call.on("error", (err: Error) => resolve({ ok: false, latencyMs: performance.now() - t0, ttfbMs, error: err.message }));
        call.on("end", () => {
          const latencyMs = performance.now() - t0;
          let ok = status === "0" && ttfbMs !== undefined;
          if (ok && !spec.stream) {
            const answer = messagesIn(Buffer.concat(parts)).at(-1);
            ok = answer !== undefined && ChatCompletion.decode(answer).choices.length > 0;
          }
          resolve({ ok, latencyMs, ttfbMs: spec.stream ? ttfbMs : undefined, error: ok ? undefined : `grpc-status ${status ?? "none"}: ${message || "no answer"}` });
        });
        // A stream reset with no error code ends with neither: the first of these three settles the sample.
        call.on("close", () => resolve({ ok: false, latencyMs: performance.now() - t0, ttfbMs, error: `stream closed (code ${call.rstCode})` }));
        call.end(request);
      }),
    close: async () => {
      await new Promise<void>((done) => session.close(() => done()));
    },
  };
}
