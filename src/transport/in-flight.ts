// The calls a front door has accepted and not yet answered: a shutdown waits for them and, at its deadline, ends them.
import { ShuttingDown } from "../core/errors.js";

export class InFlight {
  private readonly calls = new Set<AbortController>();
  private readonly waiting = new Set<() => void>();

  get size(): number {
    return this.calls.size;
  }

  /** Registers a call's abort controller; the returned function marks it answered. */
  track(aborter: AbortController): () => void {
    this.calls.add(aborter);
    return () => {
      if (!this.calls.delete(aborter) || this.calls.size > 0) return;
      for (const wake of this.waiting) wake();
      this.waiting.clear();
    };
  }

  /** Resolves once every tracked call has been answered. */
  idle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  /** The grace period is over: every call still open ends now, as a shutdown (UNAVAILABLE / an error event), not as a client's cancel. */
  endAll(): void {
    const reason = new ShuttingDown("The gateway is shutting down.");
    for (const aborter of this.calls) aborter.abort(reason);
  }
}
