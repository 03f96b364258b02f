// Starting and ending an exchange with Azure by the call's signal: nothing sent once it has aborted, the error undici itself would give, and a listener that works for both signal kinds.
import type { Dispatcher } from "undici";
import type { CallSignal } from "../core/context.js";

/**
 * Sends `options` with the handler `handlerOf` makes, which settles the promise; a call whose signal
 * has aborted already is refused at once with its reason, and nothing is sent.
 */
export function dispatchAbortable<T>(
  pool: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: CallSignal,
  handlerOf: (resolve: (value: T) => void, reject: (err: unknown) => void) => Dispatcher.DispatchHandler,
): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) reject(signal.reason ?? abortedError());
    else pool.dispatch(options, handlerOf(resolve, reject));
  });
}

export function abortedError(): Error {
  return Object.assign(new Error("Request aborted"), { name: "AbortError", code: "UND_ERR_ABORTED" });
}

/** What an exchange ends with when the call's signal aborts: the signal's reason when it is an Error. */
export function abortReason(signal: CallSignal): Error {
  return signal.reason instanceof Error ? signal.reason : abortedError();
}

export type Unlisten = () => void;

/** Calls `onAbort` once when the call's signal aborts (an EventEmitter's or an AbortSignal's); the result stops listening. */
export function listenAbort(signal: CallSignal, onAbort: () => void): Unlisten {
  if (isEmitter(signal)) {
    signal.once("abort", onAbort);
    return () => signal.off("abort", onAbort);
  }
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

function isEmitter(signal: CallSignal): signal is Extract<CallSignal, { once: unknown }> {
  return "once" in signal;
}
