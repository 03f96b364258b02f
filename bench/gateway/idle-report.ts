// The memory scenario's table: the gateway's RSS before, while and after N idle streams are open through it.
import type { IdleStreamsResult } from "./idle-streams.js";

export function idleStreamsTable(r: IdleStreamsResult): string {
  const errors = r.failed + r.endedEarly;
  return [
    "| streams asked | held open at once | failed to open | ended early | opening took s | RSS baseline MiB | RSS all open MiB | RSS 2 s after close MiB | back to baseline after s | RSS then MiB | errors |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    `| ${r.requested} | ${r.opened} | ${r.failed} | ${r.endedEarly} | ${r.openSeconds.toFixed(1)} | ${r.baselineMiB.toFixed(1)} | ${r.duringMiB.toFixed(1)} | ${r.afterMiB.toFixed(1)} | ${r.returnedAfterS === undefined ? "not back" : r.returnedAfterS.toFixed(0)} | ${r.returnedMiB.toFixed(1)} | ${errors} |`,
  ].join("\n");
}
