// Keeps only the verdict shape of Azure's content-filter results: booleans and short identifiers, never text.
import type { JsonObject, JsonValue } from "../core/json.js";
import { isArray, isObject } from "../core/json.js";

const IDENT = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_DEPTH = 4;

/** A sanitized copy: verdict keys with booleans, severities, ids; strings that look like text are dropped. */
export function filterVerdicts(v: unknown, depth = 0): JsonObject | undefined {
  if (!isObject(v) || depth > MAX_DEPTH) return undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(v)) {
    if (!IDENT.test(key)) continue;
    const kept = keep(value, depth);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function keep(value: JsonValue, depth: number): JsonValue | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") return IDENT.test(value) ? value : undefined;
  if (isArray(value)) {
    return value.slice(0, 32).flatMap((item) => {
      const kept = isObject(item) ? filterVerdicts(item, depth + 1) : undefined;
      return kept === undefined ? [] : [kept];
    });
  }
  return filterVerdicts(value, depth + 1);
}
