// For the hostile-input suites: raw HTTP/1.1 and gRPC clients that send what polite clients refuse to, and the checks every refusal must pass.
import { connect } from "node:net";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { expect } from "vitest";
import { API_KEY_PREFIX, newSecret } from "../../src/auth/tokens.js";
import { isServiceError } from "../support/grpc-client.js";

/** Sent inside bodies, names and headers: it must never show up in a log line or an answer. */
export const CANARY = "canary-hostile-5d1e9b";

export const SECURITY = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "x-xss-protection": "0",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export interface Envelope {
  error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown };
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly json: Envelope;
}

export function envelopeOf(text: string): Envelope {
  try {
    const j: unknown = JSON.parse(text);
    return typeof j === "object" && j !== null ? j : {};
  } catch {
    return {};
  }
}

/**
 * A refusal as OpenAI shapes it: the status, the envelope with every field typed, the security
 * headers and a request id; the canary never echoed.
 */
export function expectRefusal(a: Answer, status: number | readonly number[], fields: { code?: string; param?: string; type?: string } = {}): void {
  const statuses = typeof status === "number" ? [status] : status;
  expect(statuses, `status ${a.status}: ${a.text.slice(0, 300)}`).toContain(a.status);
  expect(a.headers, "the security headers").toMatchObject(SECURITY);
  expect(a.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
  expect(a.headers["content-type"]).toMatch(/^application\/json/);
  const e = a.json.error;
  expect(e, `an OpenAI error envelope: ${a.text.slice(0, 300)}`).toBeDefined();
  expect(typeof e?.message).toBe("string");
  expect(typeof e?.type).toBe("string");
  expect(e?.param === null || typeof e?.param === "string").toBe(true);
  expect(e?.code === null || typeof e?.code === "string").toBe(true);
  if (fields.code !== undefined) expect(e?.code).toBe(fields.code);
  if (fields.param !== undefined) expect(e?.param).toBe(fields.param);
  if (fields.type !== undefined) expect(e?.type).toBe(fields.type);
  expect(a.text).not.toContain(CANARY);
}

/** Every log line is one JSON object (a CR/LF in a value cannot forge a line) and none holds the canary. */
export function expectCleanLogs(logs: readonly string[]): void {
  for (const line of logs) {
    expect(line.endsWith("\n") && line.indexOf("\n") === line.length - 1, "one log line per write").toBe(true);
    expect(() => JSON.parse(line)).not.toThrow();
  }
  expect(logs.join("")).not.toContain(CANARY);
}

/**
 * Writes bytes on a fresh TCP connection exactly as given and reads the first answer: complete
 * when its declared length (or chunked end) has arrived, or when the server closes.
 */
export function rawHttp(baseUrl: string, payload: string | Buffer, timeoutMs = 10_000): Promise<Answer & { closed: boolean }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(typeof payload === "string" ? Buffer.from(payload, "latin1") : payload));
    let data = Buffer.alloc(0);
    let settled = false;
    const done = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAnswer(data.toString("latin1"));
      if (parsed) resolve({ ...parsed, closed });
      else reject(new Error(`no HTTP answer (${closed ? "connection closed" : "timed out"}): ${JSON.stringify(data.toString("latin1").slice(0, 200))}`));
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("data", (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (complete(data.toString("latin1"))) done(false);
    });
    socket.on("error", () => done(true));
    socket.on("close", () => done(true));
  });
}

function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) return text.length - end - 4 >= Number(length[1]);
  return /\r\ntransfer-encoding: *chunked/.test(head) ? text.endsWith("\r\n0\r\n\r\n") : false;
}

function parseAnswer(text: string): Answer | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!m) return undefined;
  const end = text.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of text.slice(m[0].length, end < 0 ? undefined : end).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end < 0 ? "" : text.slice(end + 4);
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) body = unchunk(body);
  return { status: Number(m[1]), headers, text: body, json: envelopeOf(body) };
}

function unchunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const line = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, line), 16);
    if (line < 0 || !Number.isFinite(size) || size === 0) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 4 + size);
  }
}

/** A POST on the raw wire with the headers given verbatim (CR/LF, NUL, duplicates and all). */
export function rawPost(path: string, headerLines: readonly string[], body: string | Buffer): Buffer {
  const head = [`POST ${path} HTTP/1.1`, "Host: gateway.test", ...headerLines, "Connection: close", "", ""].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), typeof body === "string" ? Buffer.from(body, "utf8") : body]);
}

/** JSON text nested `depth` levels deep around `leaf`, built without recursion (JSON.stringify would overflow). */
export function nestedJson(depth: number, open = "[", close = "]", leaf = "0"): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

/** A key of the right shape and checksum that no one was ever given: it reaches the key lookup. */
export function unknownKey(): string {
  return newSecret(API_KEY_PREFIX).secret;
}

export interface GrpcFailure {
  readonly code: number;
  readonly details: string;
}

/** How a gRPC call failed; fails the test when it succeeded or failed without a status. */
export async function grpcFailure(p: Promise<unknown>): Promise<GrpcFailure> {
  const err = await p.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw err instanceof Error ? err : new Error(String(err));
  return { code: err.code, details: err.details };
}

/** The call ends as `code`: answered when OK, else that status with no canary in its details. */
export async function expectGrpcEnd(call: Promise<unknown>, code: number): Promise<void> {
  if (code === 0) {
    await call;
    return;
  }
  const f = await grpcFailure(call);
  expect(f.code, f.details).toBe(code);
  expect(f.details).not.toContain(CANARY);
}

/** A grpc-js client that sends the bytes given as the message: for what generated encoders cannot produce. */
export class RawGrpc {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  unary(path: string, bytes: Buffer, metadata: Metadata): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, {}, (err: ServiceError | null, res?: Buffer) =>
        err ? reject(err) : resolve(res ?? Buffer.alloc(0)),
      );
    });
  }

  stream(path: string, bytes: Buffer, metadata: Metadata): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const call = this.client.makeServerStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, {});
      call.on("data", (m: Buffer) => out.push(m));
      call.on("error", reject);
      call.on("end", () => resolve(out));
    });
  }

  close(): void {
    this.client.close();
  }
}

export function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited protobuf field (wire type 2). */
export function field(num: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint((num << 3) | 2), ...varint(bytes.length)]), bytes]);
}

/**
 * A google.protobuf.Struct nested `depth` levels ({"a": {"a": ...}}), written without recursion
 * so a client can send what ts-proto's recursive encoder could not: sizes inside out, bytes outside in.
 */
export function nestedStruct(depth: number): Buffer {
  const prefixes: number[][] = new Array<number[]>(depth);
  let inner = 0;
  for (let i = depth - 1; i >= 0; i--) {
    const value = [0x2a, ...varint(inner)]; // Value.struct_value = 5
    const entry = [0x0a, 0x01, 0x61, 0x12, ...varint(value.length + inner)]; // map entry: key "a", value
    const struct = [0x0a, ...varint(entry.length + value.length + inner)]; // Struct.fields = 1
    prefixes[i] = [...struct, ...entry, ...value];
    inner += struct.length + entry.length + value.length;
  }
  const out = Buffer.alloc(inner);
  let at = 0;
  for (const p of prefixes) for (const b of p) out[at++] = b;
  return out;
}

/** A Struct {"a": [[[...]]]} whose one value is a list nested `depth` deep (Value.list_value = 6, ListValue.values = 1). */
export function nestedList(depth: number): Buffer {
  const prefixes: number[][] = new Array<number[]>(depth);
  let inner = 0;
  for (let i = depth - 1; i >= 0; i--) {
    const list = [0x0a, ...varint(inner)];
    const value = [0x32, ...varint(list.length + inner)];
    prefixes[i] = [...value, ...list];
    inner += value.length + list.length;
  }
  const entryHead = [0x0a, 0x01, 0x61, 0x12, ...varint(inner)];
  const out = Buffer.alloc(inner);
  let at = 0;
  for (const p of prefixes) for (const b of p) out[at++] = b;
  return Buffer.concat([Buffer.from([0x0a, ...varint(entryHead.length + inner), ...entryHead]), out]);
}

export function bearerMetadata(key: string): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return md;
}

let gc: (() => void) | undefined;

/** Heap in use after a full collection: the runtime flag is set here, so vitest needs no --expose-gc. */
export function heapAfterGc(): number {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    if (typeof fn !== "function") throw new Error("could not reach the garbage collector");
    gc = () => void fn();
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The heap's growth over `baseline` once it has come back under `bound`, or after `withinMs` if it never does.
 * Work that outlives a request (metering batches, sockets closing) settles on its own time, so this polls.
 */
export async function heapGrowthSettled(baseline: number, bound: number, withinMs = 10_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const growth = heapAfterGc() - baseline;
    if (growth < bound || Date.now() >= deadline) return growth;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const MiB = 1024 * 1024;

/** V8's heap spaces in use (after heapAfterGc, the live data by space), in MiB: which space holds a growth. */
export function heapSpaces(): Record<string, number> {
  return Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, Math.round((s.space_used_size / MiB) * 100) / 100]));
}

/** How many log lines of each event `lines` holds: what a run wrote, as metadata (events are names, never content). */
export function logEvents(lines: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const event = /"event":"([^"]*)"/.exec(line)?.[1] ?? "?";
    counts[event] = (counts[event] ?? 0) + 1;
  }
  return counts;
}
