// What the runner asks of the open-streams process and what it answers, checked where they cross the process boundary.
import { isRecord } from "./load-spec.js";

export interface OpenStreamsSpec {
  readonly target: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly count: number;
  /** Streams opened and closed once before the baseline, so first-use costs (JIT, pools, caches) are not counted per stream. */
  readonly warmup: number;
}

export type OpenStreamsMessage =
  | { readonly kind: "warmed" }
  | { readonly kind: "opened"; readonly opened: number; readonly failed: number; readonly firstError: string | undefined; readonly seconds: number }
  | { readonly kind: "closed"; readonly endedEarly: number; readonly seconds: number };

const count = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

export function parseOpenStreamsSpec(json: string): OpenStreamsSpec {
  const v: unknown = JSON.parse(json);
  const fail = (): never => {
    throw new Error(`open-streams: malformed spec: ${json}`);
  };
  if (!isRecord(v) || !isRecord(v["headers"])) return fail();
  const headers: Record<string, string> = {};
  for (const [k, x] of Object.entries(v["headers"])) headers[k] = typeof x === "string" ? x : fail();
  const { target, path, body, count: n, warmup } = v;
  if (typeof target !== "string" || typeof path !== "string" || typeof body !== "string" || !count(n) || !count(warmup)) return fail();
  return { target, path, headers, body, count: n, warmup };
}

export function parseOpenStreamsMessage(v: unknown): OpenStreamsMessage | undefined {
  if (!isRecord(v)) return undefined;
  const { kind, opened, failed, firstError, seconds, endedEarly } = v;
  if (kind === "warmed") return { kind };
  if (typeof seconds !== "number") return undefined;
  if (kind === "opened" && count(opened) && count(failed)) return { kind, opened, failed, firstError: typeof firstError === "string" ? firstError : undefined, seconds };
  if (kind === "closed" && count(endedEarly)) return { kind, endedEarly, seconds };
  return undefined;
}
