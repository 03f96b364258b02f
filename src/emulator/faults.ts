// Per-deployment fault rules: validated once, then consumed one request at a time.
import type { Fault, FaultRule } from "./api.js";
import { isObject } from "./json-body.js";

const nonNegative = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** Turns untrusted JSON (control API) or a loosely typed call into a FaultRule, or says what is wrong. */
export function parseFaultRule(input: unknown): FaultRule | string {
  if (!isObject(input)) return "a fault rule must be a JSON object like {\"fault\":{\"kind\":\"server-error\"},\"times\":1}";
  const fault = parseFault(input.fault);
  if (typeof fault === "string") return fault;
  if (input.times === undefined || input.times === null) return { fault };
  if (typeof input.times !== "number" || !Number.isInteger(input.times) || input.times < 1) {
    return "'times' must be a positive integer, or absent to apply until cleared";
  }
  return { fault, times: input.times };
}

function parseFault(f: unknown): Fault | string {
  if (!isObject(f)) return "'fault' must be an object with a 'kind'";
  switch (f.kind) {
    case "rate-limit":
      return nonNegative(f.retryAfterMs) ? { kind: f.kind, retryAfterMs: f.retryAfterMs } : "'retryAfterMs' must be a number >= 0";
    case "reset-mid-stream":
      return nonNegative(f.afterChunks) && Number.isInteger(f.afterChunks)
        ? { kind: f.kind, afterChunks: f.afterChunks }
        : "'afterChunks' must be an integer >= 0";
    case "slow-headers":
      return nonNegative(f.delayMs) ? { kind: f.kind, delayMs: f.delayMs } : "'delayMs' must be a number >= 0";
    case "server-error":
    case "unavailable":
    case "content-filter":
    case "unauthorized":
      return { kind: f.kind };
    default:
      return "'fault.kind' must be one of rate-limit, server-error, unavailable, reset-mid-stream, slow-headers, content-filter, unauthorized";
  }
}

interface ActiveRule {
  fault: Fault;
  /** Requests left; undefined means until cleared. */
  remaining: number | undefined;
}

export class FaultBook {
  private readonly rules = new Map<string, ActiveRule>();

  set(deployment: string, rule: FaultRule | undefined): void {
    if (rule === undefined) this.rules.delete(deployment);
    else this.rules.set(deployment, { fault: rule.fault, remaining: rule.times });
  }

  /** The fault for this request, counting it against `times`. */
  take(deployment: string): Fault | undefined {
    const rule = this.rules.get(deployment);
    if (!rule) return undefined;
    if (rule.remaining !== undefined) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.rules.delete(deployment);
    }
    return rule.fault;
  }
}
