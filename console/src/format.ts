// How numbers, money and times read on every page: plain digits with separators, dollars as the gateway's exact decimals, times in UTC.
const count = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return count.format(n);
}

/** The gateway's exact decimal string ("0.001250") with a dollar sign; no float rounding on the way. */
export function formatUsd(decimal: string): string {
  return decimal.startsWith("-") ? `-$${decimal.slice(1)}` : `$${decimal}`;
}

/** A float amount for charts and bars, which only need to look right. */
export function formatUsdApprox(n: number): string {
  if (n === 0) return "$0";
  if (Math.abs(n) < 0.01) return `$${n.toPrecision(2)}`;
  return `$${n.toFixed(2)}`;
}

/** "2026-11-30 12:04 UTC": the gateway's days are UTC days, so every time on the page is UTC too. */
export function formatTime(rfc3339: string | undefined): string {
  if (rfc3339 === undefined) return "never";
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
