// Validates emulator options and timing changes once, with messages that say what to fix.
import type { EmulatorOptions, Timing } from "./api.js";
import { isObject } from "./json-body.js";

const nonNegative = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** Throws on the first problem: a misconfigured emulator should fail its test run loudly, not answer oddly. */
export function validateOptions(opts: EmulatorOptions): void {
  if (typeof opts.apiKey !== "string" || opts.apiKey === "") throw new Error("emulator: 'apiKey' must be a non-empty string");
  if (opts.entraKey !== undefined && (typeof opts.entraKey !== "string" || opts.entraKey.length < 32)) {
    throw new Error("emulator: 'entraKey' must be a string of at least 32 characters (an HS256 secret)");
  }
  if (!Array.isArray(opts.deployments) || opts.deployments.length === 0) {
    throw new Error("emulator: 'deployments' must list at least one { name, model }");
  }
  const names = new Set<string>();
  for (const d of opts.deployments) {
    if (typeof d.name !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(d.name)) {
      throw new Error(`emulator: deployment name ${JSON.stringify(d.name)} must be 1-64 letters, digits, '.', '_' or '-'`);
    }
    if (names.has(d.name)) throw new Error(`emulator: deployment '${d.name}' is listed twice`);
    names.add(d.name);
    if (typeof d.model !== "string" || d.model === "") throw new Error(`emulator: deployment '${d.name}' needs a 'model'`);
  }
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
    throw new Error("emulator: 'port' must be an integer from 0 to 65535 (0 picks a free port)");
  }
  const timing = parseTiming({ timeToFirstTokenMs: opts.timeToFirstTokenMs, chunkDelayMs: opts.chunkDelayMs });
  if (typeof timing === "string") throw new Error(`emulator: ${timing}`);
}

/** Accepts a partial change; absent fields keep their current value. */
export function parseTiming(input: unknown): Timing | string {
  if (!isObject(input)) return "timing must be an object like {\"timeToFirstTokenMs\":50,\"chunkDelayMs\":10}";
  const timing: Timing = {};
  for (const field of ["timeToFirstTokenMs", "chunkDelayMs"] as const) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (!nonNegative(value)) return `'${field}' must be a number of milliseconds >= 0`;
    timing[field] = value;
  }
  const words = input.answerWords;
  if (words !== undefined && words !== null) {
    if (typeof words !== "number" || !Number.isInteger(words) || words < 1 || words > 1_000_000) return "'answerWords' must be a whole number from 1 to 1000000";
    timing.answerWords = words;
  }
  const stamp = input.stampFirstToken;
  if (stamp !== undefined && stamp !== null) {
    if (typeof stamp !== "boolean") return "'stampFirstToken' must be true or false";
    timing.stampFirstToken = stamp;
  }
  return timing;
}
