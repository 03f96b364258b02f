// Headers Azure puts on every answer, with per-deployment rate-limit counters that really count down.
import { randomUUID } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";

/** Plausible Standard-deployment quotas; the emulator reports them but never enforces them (faults do). */
const REQUESTS_PER_MINUTE = 1_000;
const TOKENS_PER_MINUTE = 150_000;
const WINDOW_MS = 60_000;

export interface Remaining {
  requests: number;
  tokens: number;
}

interface Window {
  startedAt: number;
  requests: number;
  tokens: number;
}

export class RateMeter {
  private readonly windows = new Map<string, Window>();

  /** Counts one request of `tokens` against the deployment's current minute and returns what is left. */
  note(deployment: string, tokens: number, now = Date.now()): Remaining {
    let w = this.windows.get(deployment);
    if (!w || now - w.startedAt >= WINDOW_MS) {
      w = { startedAt: now, requests: 0, tokens: 0 };
      this.windows.set(deployment, w);
    }
    w.requests += 1;
    w.tokens += tokens;
    return {
      requests: Math.max(0, REQUESTS_PER_MINUTE - w.requests),
      tokens: Math.max(0, TOKENS_PER_MINUTE - w.tokens),
    };
  }
}

export const FULL_QUOTA: Remaining = { requests: REQUESTS_PER_MINUTE, tokens: TOKENS_PER_MINUTE };

export interface Origin {
  region: string;
  modelSession: string;
}

export function answerHeaders(contentType: string, origin: Origin, remaining: Remaining): OutgoingHttpHeaders {
  return {
    "content-type": contentType,
    "apim-request-id": randomUUID(),
    "x-request-id": randomUUID(),
    "x-ms-region": origin.region,
    "azureml-model-session": origin.modelSession,
    "x-ratelimit-remaining-requests": String(remaining.requests),
    "x-ratelimit-remaining-tokens": String(remaining.tokens),
  };
}
