// What the canary suite's paths share: the canary itself, the callers, and a record of what the clients were shown.
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import type { SandboxGateway } from "../support/gateway-sandbox.js";
import type { Provisioned } from "../support/identity.js";
import type { FileDump } from "../support/sink-dumps.js";

// Letters and digits only, so it can also be a JSON property name, an enum value and a rejected parameter's name.
export const CANARY = `cnry${randomBytes(10).toString("hex")}`;
/** A prompt pasted into the model field: not a valid name, so it must never be stored; it may ride along as span metadata only. */
export const BAD_MODEL = `gpt-4o ${CANARY}`;
/** A well-formed name no deployment has: refused before any usage record is made. */
export const UNKNOWN_MODEL = `${CANARY}-model`;
/** The forms a bad model name may take as metadata: as typed, and percent-encoded when it was a URL segment. */
export const BAD_MODEL_FORMS = [BAD_MODEL, encodeURIComponent(BAD_MODEL), UNKNOWN_MODEL] as const;

/** A function tool whose only argument can only be the canary: the emulated model's call echoes it back. */
export const TOOL_PARAMETERS = { type: "object", properties: { term: { type: "string", enum: [CANARY] } }, required: ["term"] };
export const TOOL_DESCRIPTION = `Looks up ${CANARY} in the archive`;
export const PROMPT = `Tell me everything about ${CANARY}.`;

export interface CanaryRun {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly emulator: Emulator;
  /** The operator token (AIK_ADMIN_TOKEN). */
  readonly adminToken: string;
  /** Every limit set, so the limiter keeps buckets, slots and spend in Redis for it. */
  readonly member: Provisioned;
  /** requests_per_minute 1: its second call is refused by the limiter. */
  readonly limited: Provisioned;
  /** allowed_models [gpt-4o]: refused for every other model. */
  readonly scoped: Provisioned;
  /** x-request-id of answered HTTP calls: the stores must hold these (proof the dumps are real). */
  readonly requestIds: string[];
  /** Users the control-plane paths made: the audit log must name them (proof it was searched). */
  readonly controlUsers: string[];
  /** Every path that ran, by name: the report of what was covered. */
  readonly paths: string[];
}

/** Runs one named path; a failure names the path. */
export async function path(run: CanaryRun, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    throw new Error(`path "${name}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  run.paths.push(name);
}

/** Where the canary occurs in some bytes, with a little context, for a failure message that shows the leak. */
export function occurrences(bytes: Buffer | string, allowed: readonly string[] = []): string[] {
  let text = Buffer.isBuffer(bytes) ? bytes.toString("latin1") : bytes;
  for (const form of allowed) text = text.replaceAll(form, "<allowed-metadata>");
  const found: string[] = [];
  for (let at = text.indexOf(CANARY); at !== -1 && found.length < 5; at = text.indexOf(CANARY, at + 1)) {
    found.push(JSON.stringify(text.slice(Math.max(0, at - 120), at + CANARY.length + 60)));
  }
  return found;
}

/** Fails listing every leak with its place and context. */
export function expectNoLeaks(leaks: readonly string[]): void {
  expect(leaks, `the canary leaked:\n${leaks.join("\n")}`).toEqual([]);
}

/** The canary in the process's output; a bad model name may appear there as metadata. */
export function outputLeaks(gw: SandboxGateway): string[] {
  return [...occurrences(gw.stdout(), BAD_MODEL_FORMS).map((o) => `stdout: ${o}`), ...occurrences(gw.stderr(), BAD_MODEL_FORMS).map((o) => `stderr: ${o}`)];
}

/** The canary in OTLP exports: spans may name a bad model as metadata; metric labels are configured names only, log records carry nothing. */
export function otlpLeaks(gw: SandboxGateway): string[] {
  const of = (signal: string): Buffer => Buffer.concat(gw.otlp.exports.filter((e) => e.signal === signal).map((e) => e.body));
  return [
    ...occurrences(of("traces"), BAD_MODEL_FORMS).map((o) => `traces: ${o}`),
    ...occurrences(of("metrics")).map((o) => `metrics: ${o}`),
    ...occurrences(of("logs")).map((o) => `logs: ${o}`),
  ];
}

/** The canary in files, their names included. */
export function fileLeaks(files: readonly FileDump[]): string[] {
  return files.flatMap((f) => occurrences(Buffer.concat([Buffer.from(`${f.path}\n`), f.bytes])).map((o) => `${f.path}: ${o}`));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails naming what never happened. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await sleep(25);
  }
}
