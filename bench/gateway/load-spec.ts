// What the runner asks of the load-generator process, and what it sends back, with the checks for crossing the process boundary.

export interface LoadSpec {
  readonly protocol: "http" | "grpc";
  readonly stream: boolean;
  /** http: origin such as http://127.0.0.1:8080; grpc: host:port. */
  readonly target: string;
  /** http only: request path with query. */
  readonly path: string;
  /** http: request headers; grpc: metadata. */
  readonly headers: Readonly<Record<string, string>>;
  /** http only: the JSON body sent on every request. */
  readonly body: string;
  /** http only: text a complete answer contains ('"choices"', "[DONE]", "response.completed"). */
  readonly complete: string;
  /** http streams only: a regular expression that matches the first chunk carrying content (TTFT); "" not measured. */
  readonly firstToken: string;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

/** Every measured request's timings, sent back whole (structured clone) so the runner can pool rounds before taking quantiles. */
export interface LoadSamples {
  /** Milliseconds from sending each successful request to the end of its answer. */
  readonly latencies: Float64Array;
  /** Streams only: milliseconds to the first body chunk (HTTP) or message (gRPC). */
  readonly ttfbs: Float64Array;
  /** Streams with `firstToken` only: milliseconds to the first content token. */
  readonly ttfts: Float64Array;
  /** Streams whose first content chunk carries the emulator's send time: milliseconds from its sending to its reading. */
  readonly transits: Float64Array;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** From the first measured request's start to the last one's end. */
  readonly seconds: number;
}

/** From the runner to the load process: measure one window. */
export interface RunRequest {
  readonly kind: "run";
  readonly spec: LoadSpec;
}

/** From the load process to the runner, per window: the measured window opens, then the result. */
export type LoadMessage = { readonly kind: "measuring" } | { readonly kind: "result"; readonly samples: LoadSamples };

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") return undefined;
    out[k] = x;
  }
  return out;
}

export function parseSpec(v: unknown): LoadSpec {
  if (!isRecord(v)) throw new Error("load spec: not an object");
  const headers = stringRecord(v["headers"]);
  const { protocol, stream, target, path, body, complete, firstToken, concurrency, warmupSeconds, seconds } = v;
  if (
    (protocol !== "http" && protocol !== "grpc") ||
    typeof stream !== "boolean" ||
    typeof target !== "string" ||
    typeof path !== "string" ||
    typeof body !== "string" ||
    typeof complete !== "string" ||
    typeof firstToken !== "string" ||
    headers === undefined ||
    !isNumber(concurrency) ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    !isNumber(warmupSeconds) ||
    !isNumber(seconds) ||
    seconds <= 0
  ) {
    throw new Error(`load spec: malformed: ${JSON.stringify(v)}`);
  }
  return { protocol, stream, target, path, headers, body, complete, firstToken, concurrency, warmupSeconds, seconds };
}

export function parseRunRequest(v: unknown): RunRequest | undefined {
  return isRecord(v) && v["kind"] === "run" ? { kind: "run", spec: parseSpec(v["spec"]) } : undefined;
}

export function parseMessage(v: unknown): LoadMessage | undefined {
  if (!isRecord(v)) return undefined;
  if (v["kind"] === "measuring") return { kind: "measuring" };
  const r = v["samples"];
  if (v["kind"] !== "result" || !isRecord(r)) return undefined;
  const { latencies, ttfbs, ttfts, transits, errors, firstError, seconds } = r;
  if (!(latencies instanceof Float64Array) || !(ttfbs instanceof Float64Array) || !(ttfts instanceof Float64Array)) return undefined;
  if (!(transits instanceof Float64Array) || !isNumber(errors) || !isNumber(seconds)) return undefined;
  return { kind: "result", samples: { latencies, ttfbs, ttfts, transits, errors, firstError: typeof firstError === "string" ? firstError : undefined, seconds } };
}
