// OpenAI's x-ratelimit-* headers from the limits step's report, for HTTP headers and gRPC metadata alike.
import type { RateLimitReport, RateLimitState } from "../core/context.js";

/** OpenAI writes resets as "20ms", "1s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

function pairs(kind: "requests" | "tokens", s: RateLimitState | undefined): Array<[string, string]> {
  if (!s) return [];
  return [
    [`x-ratelimit-limit-${kind}`, String(s.limit)],
    [`x-ratelimit-remaining-${kind}`, String(Math.max(0, s.remaining))],
    [`x-ratelimit-reset-${kind}`, formatReset(s.resetMs)],
  ];
}

export function rateLimitHeaders(report: RateLimitReport | undefined): Array<[string, string]> {
  return report ? [...pairs("requests", report.requests), ...pairs("tokens", report.tokens)] : [];
}
