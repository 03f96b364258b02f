// Waits until a writable that said "full" can take more, or ends (then "drain" would never come).
import type { EventEmitter } from "node:events";

export function drained(stream: EventEmitter, endEvents: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const events = ["drain", ...endEvents];
    const done = (): void => {
      for (const e of events) stream.off(e, done);
      resolve();
    };
    for (const e of events) stream.on(e, done);
  });
}
