// Proto fields into OpenAI JSON: google.protobuf.Struct values (ts-proto unwraps them untyped) checked, optional fields kept absent.
import { invalidArgument } from "../core/errors.js";
import type { JsonObject, JsonValue } from "../core/json.js";

export function asJson(v: unknown, depth = 0): JsonValue | undefined {
  if (depth > 64) return undefined;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const item of v) {
      const j = asJson(item, depth + 1);
      if (j === undefined) return undefined;
      out.push(j);
    }
    return out;
  }
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, item] of Object.entries(v)) {
      const j = asJson(item, depth + 1);
      if (j === undefined) return undefined;
      out[k] = j;
    }
    return out;
  }
  return undefined;
}

/** A Struct field as a JSON object; undefined when unset; a 400 naming the field when malformed. */
export function structField(v: { [key: string]: unknown } | undefined, param: string): JsonObject | undefined {
  if (v === undefined) return undefined;
  const j = asJson(v);
  if (j === undefined || j === null || typeof j !== "object" || Array.isArray(j)) {
    throw invalidArgument(param, `Invalid '${param}': expected a JSON object.`);
  }
  return j;
}

/** Sets `key` only when the value is present, so absent proto fields stay absent in JSON; NaN and infinities (a double can hold them, JSON cannot) are refused. */
export function put(body: JsonObject, key: string, value: JsonValue | undefined): void {
  if (typeof value === "number" && !Number.isFinite(value)) throw invalidArgument(key, `Invalid '${key}': expected a finite number.`);
  if (value !== undefined) body[key] = value;
}

/**
 * A request message's `extra_body`: fields the message does not model, forwarded as they are.
 * It may not set a modeled field (the typed one decides); routing fields are refused later by the operation.
 */
export function extraBody(v: { [key: string]: unknown } | undefined, modeled: ReadonlySet<string>): JsonObject {
  const extra = structField(v, "extra_body") ?? {};
  for (const key of Object.keys(extra)) {
    if (modeled.has(key)) throw invalidArgument(`extra_body.${key}`, `'extra_body' cannot set '${key}': it is a modeled field.`);
  }
  return extra;
}
