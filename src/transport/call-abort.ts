// A call's cancellation made without an AbortController: an EventEmitter that emits "abort" once, which undici takes as a signal.
import { EventEmitter } from "node:events";
import type { AbortEmitter } from "../core/context.js";

/**
 * An AbortController builds an EventTarget-based AbortSignal per call, and undici then adds and
 * removes a listener through the EventTarget machinery on every upstream request: both cost more
 * than the call that ends normally ever needs. This is both controller and signal; `reason` stays
 * undefined unless one is given (undici then aborts with its own RequestAbortedError).
 */
export class CallAbort extends EventEmitter implements AbortEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}
