// Relays Azure's chat SSE events chunk by chunk, noting usage and outcome; strips the usage chunk nobody asked for.
import type { CallContext } from "./context.js";
import { GatewayError, safeCode } from "./errors.js";
import { isArray, isObject, stringAt, type JsonObject } from "./json.js";
import type { UpstreamStream } from "./ports.js";
import type { ChatChunk, ChatStream, StreamOutcome, StreamSummary, UpstreamInfo } from "./results.js";
import { usageOf, type Usage } from "./usage.js";

export function relayChatStream(src: UpstreamStream, includeUsage: boolean, ctx: CallContext): ChatStream {
  return new Relay(src, includeUsage, ctx);
}

class Relay implements ChatStream {
  readonly kind = "stream";
  readonly upstream: UpstreamInfo;
  readonly done: Promise<StreamSummary>;
  private settle!: (s: StreamSummary) => void;
  private settled = false;
  private iterator: AsyncGenerator<ChatChunk> | undefined;
  private usage: Usage | undefined;
  private firstTokenMs: number | undefined;
  // Completion text, kept in memory only, to estimate usage if Azure's count never arrives.
  private readonly text: string[] = [];

  constructor(
    private readonly src: UpstreamStream,
    private readonly includeUsage: boolean,
    private readonly ctx: CallContext,
  ) {
    this.upstream = src.info;
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatChunk> {
    if (this.iterator) throw new GatewayError("internal", "A chat stream can be read only once.");
    this.iterator = this.relay();
    return this.iterator;
  }

  close(): void {
    this.src.close();
    void this.iterator?.return(undefined);
    this.finish("cancelled", undefined);
  }

  private async *relay(): AsyncGenerator<ChatChunk> {
    let outcome: StreamOutcome = "cancelled";
    let error: GatewayError | undefined;
    try {
      for await (const data of this.src.events) {
        if (data === "[DONE]") {
          outcome = "ok";
          return;
        }
        const json = parseEvent(data);
        if (isUsageChunk(json)) {
          this.usage = usageOf(json);
          if (!this.includeUsage) continue;
        } else {
          this.collect(json);
        }
        yield { raw: data, json };
      }
      throw new GatewayError("bad_gateway", "The upstream stream ended before it was complete.", {
        reason: "upstream_stream_cut",
      });
    } catch (err) {
      if (this.ctx.signal.aborted) {
        throw new GatewayError("cancelled", "The client cancelled the request.", { cause: err });
      }
      outcome = "error";
      error =
        err instanceof GatewayError
          ? err
          : new GatewayError("bad_gateway", "The upstream stream failed before it was complete.", {
              reason: "upstream_stream_cut",
              cause: err,
            });
      throw error;
    } finally {
      this.src.close();
      this.finish(outcome, error);
    }
  }

  private collect(json: JsonObject): void {
    const choices = json.choices;
    if (!isArray(choices)) return;
    for (const choice of choices) {
      if (!isObject(choice) || !isObject(choice.delta)) continue;
      const delta = choice.delta;
      const before = this.text.length;
      const content = stringAt(delta, "content");
      if (content) this.text.push(content);
      const refusal = stringAt(delta, "refusal");
      if (refusal) this.text.push(refusal);
      if (isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          if (!isObject(call) || !isObject(call.function)) continue;
          const name = stringAt(call.function, "name");
          const args = stringAt(call.function, "arguments");
          if (name) this.text.push(name);
          if (args) this.text.push(args);
        }
      }
      if (this.firstTokenMs === undefined && this.text.length > before) {
        this.firstTokenMs = Math.round(performance.now() - this.ctx.startedAt);
      }
    }
  }

  private finish(outcome: StreamOutcome, error: GatewayError | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.settle({
      outcome,
      usage: this.usage,
      relayedText: this.text,
      firstTokenMs: this.firstTokenMs,
      error,
    });
  }
}

function parseEvent(data: string): JsonObject {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new GatewayError("bad_gateway", "The upstream sent a malformed stream event.", { reason: "upstream_bad_event" });
  }
  if (!isObject(json)) {
    throw new GatewayError("bad_gateway", "The upstream sent a malformed stream event.", { reason: "upstream_bad_event" });
  }
  if (isObject(json.error)) {
    const code = safeCode(json.error.code) ?? "unknown";
    throw new GatewayError("bad_gateway", `The upstream reported an error mid-stream (code: ${code}).`, {
      reason: "upstream_stream_error",
    });
  }
  return json;
}

/** Azure's usage chunk: no choices, a usage object. */
function isUsageChunk(json: JsonObject): boolean {
  return isArray(json.choices) && json.choices.length === 0 && isObject(json.usage);
}
