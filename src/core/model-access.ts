// Which models a caller's key may use: one rule for calls and for the catalog.
import type { Caller } from "./context.js";

/** An empty allow-list means every model. */
export function mayUse(caller: Caller, model: string): boolean {
  return caller.allowedModels.length === 0 || caller.allowedModels.includes(model);
}
