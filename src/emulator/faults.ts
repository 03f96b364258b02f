// Per-deployment fault rules: validated once, then consumed one request at a time.
import type { Fault, FaultRule } from "./api.js";
import { isObject } from "./json-body.js";
import { present } from "./param-checks.js";

const nonNegative = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const positiveInteger = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;

/** Turns untrusted JSON (control API) or a loosely typed call into a FaultRule, or says what is wrong. */
export function parseFaultRule(input: unknown): FaultRule | string {
  if (!isObject(input)) return "a fault rule must be a JSON object like {\"fault\":{\"kind\":\"server-error\"},\"times\":1}";
  const fault = parseFault(input.fault);
  if (typeof fault === "string") return fault;
  const rule: FaultRule = { fault };
  if (present(input.times)) {
    if (!positiveInteger(input.times)) return "'times' must be a positive integer, or absent to apply until cleared";
    rule.times = input.times;
  }
  if (present(input.every)) {
    if (!positiveInteger(input.every)) return "'every' must be a positive integer (2 faults every second request), or absent to fault each one";
    rule.every = input.every;
  }
  return rule;
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
  /** Faults left; undefined means until cleared. */
  remaining: number | undefined;
  every: number;
  /** Requests to the deployment since the rule was set. */
  seen: number;
}

export class FaultBook {
  private readonly rules = new Map<string, ActiveRule>();

  set(deployment: string, rule: FaultRule | undefined): void {
    if (rule === undefined) this.rules.delete(deployment);
    else this.rules.set(deployment, { fault: rule.fault, remaining: rule.times, every: rule.every ?? 1, seen: 0 });
  }

  /** The fault for this request, if it is one the rule hits; a hit counts against `times`. */
  take(deployment: string): Fault | undefined {
    const rule = this.rules.get(deployment);
    if (!rule) return undefined;
    rule.seen += 1;
    if (rule.seen % rule.every !== 0) return undefined;
    if (rule.remaining !== undefined) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.rules.delete(deployment);
    }
    return rule.fault;
  }
}
