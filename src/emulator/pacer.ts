// Cancellable waits for one request, so a client that leaves stops all of its timers at once.
import type { ServerResponse } from "node:http";

export class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stoppedFlag = false;

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Resolves after `ms`, or at once when stopped; callers check `stopped` afterwards. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stoppedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  stop(): void {
    this.stoppedFlag = true;
    this.nudge();
  }

  /** Ends the current sleep early without stopping, so the sleeper re-checks why it waits (a cancelled response). */
  nudge(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Waits for the socket to take more, or for it to close (then 'drain' would never come). */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
