// Turns a deployment's injected fault into the answer Azure would give, or into the point where a stream breaks.
import type { Fault } from "./api.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { accessDenied, promptBlocked, rateLimited, serverError, unavailable } from "./wire-errors.js";

export type FaultOutcome = "answered" | { resetAfter: number | undefined };

const NO_FAULT: FaultOutcome = { resetAfter: undefined };

/** Takes the deployment's next fault (counting it against `times`) and applies it; `operation` names the 429's operation. */
export function takeFault(
  ex: Exchange,
  state: EmulatorState,
  deployment: string,
  operation: string,
  apiVersion: string | undefined,
  stream: boolean,
): Promise<FaultOutcome> | FaultOutcome {
  const fault = state.faults.take(deployment);
  return fault ? applyFault(ex, fault, operation, apiVersion, stream) : NO_FAULT;
}

async function applyFault(
  ex: Exchange,
  fault: Fault,
  operation: string,
  apiVersion: string | undefined,
  stream: boolean,
): Promise<FaultOutcome> {
  switch (fault.kind) {
    case "rate-limit":
      ex.error(rateLimited(fault.retryAfterMs, operation, apiVersion), { requests: 0, tokens: 0 });
      return "answered";
    case "server-error":
      ex.error(serverError());
      return "answered";
    case "unavailable":
      ex.error(unavailable());
      return "answered";
    case "content-filter":
      ex.error(promptBlocked());
      return "answered";
    case "unauthorized":
      ex.error(accessDenied());
      return "answered";
    case "reset-mid-stream":
      if (stream) return { resetAfter: fault.afterChunks };
      ex.reset();
      return "answered";
    case "slow-headers":
      await ex.pacer.sleep(fault.delayMs);
      return ex.gone ? "answered" : NO_FAULT;
  }
}
