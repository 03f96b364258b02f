// Budget months: UTC calendar months named "2026-11", and where each one ends.

/** The UTC month containing `now` (epoch ms), e.g. "2026-11". */
export function monthOf(now: number): string {
  const d = new Date(now);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** Epoch ms at which the month named `month` ("2026-11") ends. */
export function endOfMonthNamed(month: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (m === null) throw new RangeError(`not a month: ${month}`);
  return Date.UTC(Number(m[1]), Number(m[2]), 1);
}
