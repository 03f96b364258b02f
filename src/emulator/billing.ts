// What a model call bills: its usage goes in the request log, its tokens on the deployment's rate meter.
import type { Usage } from "./api.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import type { Remaining } from "./wire-headers.js";

/** Returns the quota left, for the answer's headers. */
export function bill(ex: Exchange, state: EmulatorState, deployment: string, usage: Usage): Remaining {
  if (ex.record) ex.record.usage = usage;
  return state.meter.note(deployment, usage.total_tokens);
}
