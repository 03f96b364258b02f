// The calls a front door has accepted and not yet answered: at a shutdown's deadline, the ones still open are ended.
import { ShuttingDown } from "../core/errors.js";

/** What ends a call: an AbortController, or the HTTP door's CallAbort. */
export interface Aborter {
  abort(reason?: unknown): void;
}

export class InFlight {
  private readonly calls = new Set<Aborter>();

  /** Registers a call's abort controller; the returned function marks it answered. */
  track(aborter: Aborter): () => void {
    this.calls.add(aborter);
    return () => this.calls.delete(aborter);
  }

  /** The grace period is over: every call still open ends now, as a shutdown (UNAVAILABLE / an error event), not as a client's cancel. */
  endAll(): void {
    const reason = new ShuttingDown("The gateway is shutting down.");
    for (const aborter of this.calls) aborter.abort(reason);
  }
}
