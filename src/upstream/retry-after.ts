// Reads Azure's retry hints in the order: retry-after-ms, x-ms-retry-after-ms, retry-after (seconds or date).

type Headers = Record<string, string | string[] | undefined>;

const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number(first(headers[name]));
    if (first(headers[name]) !== undefined && Number.isFinite(ms) && ms >= 0) return clamp(ms);
  }
  const value = first(headers["retry-after"]);
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return clamp(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : clamp(Math.max(0, date - now));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function clamp(ms: number): number {
  return Math.min(Math.ceil(ms), MAX_RETRY_AFTER_MS);
}
