// JSON text of a part of a request (tool definitions, for token estimates), refusing nesting JSON.stringify cannot give back.
import { invalidArgument } from "../core/errors.js";
import type { JsonValue } from "../core/json.js";

/** JSON.parse takes nesting JSON.stringify overflows on: such a request is the client's to fix (400), never a crash. */
export function jsonText(value: JsonValue, param: string): string {
  try {
    return JSON.stringify(value);
  } catch {
    throw invalidArgument(param, `Invalid '${param}': nested too deeply.`);
  }
}
