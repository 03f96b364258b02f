// Money as integer micro-USD: parsed from and printed as exact decimal strings, never floating point.

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "12.50" -> 12_500_000; undefined when not a non-negative decimal with at most 6 places. */
export function parseMicroUsd(text: string): number | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? "").padEnd(6, "0"));
  return whole * 1_000_000 + frac;
}

/** 12_500_000 -> "12.500000"; exact for any safe integer. */
export function formatMicroUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const frac = String(abs % 1_000_000).padStart(6, "0");
  return `${sign}${whole}.${frac}`;
}

/** 12_500_000 -> "12.50", 1_234_567 -> "1.234567": at least cents, no trailing zeros beyond. */
export function formatUsd(micros: number): string {
  return formatMicroUsd(micros).replace(/(\.\d\d\d*?)0+$/, "$1");
}
