// JSON value types, the narrowing guards the validators use instead of casts, and JSON text made once per object.
import { GatewayError } from "./errors.js";

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isArray(v: unknown): v is JsonValue[] {
  return Array.isArray(v);
}

export function isInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

/** The object at `key`, or undefined when absent or not an object. */
export function objectAt(o: JsonObject, key: string): JsonObject | undefined {
  const v = o[key];
  return isObject(v) ? v : undefined;
}

/** The integer at `key`, or undefined when absent or not an integer. */
export function intAt(o: JsonObject | undefined, key: string): number | undefined {
  const v = o?.[key];
  return isInteger(v) ? v : undefined;
}

/** The string at `key`, or undefined when absent or not a string. */
export function stringAt(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === "string" ? v : undefined;
}

/** The objects in an array value (other elements skipped); empty when it is not an array. */
export function objectsIn(v: JsonValue | undefined): JsonObject[] {
  return isArray(v) ? v.filter(isObject) : [];
}

// Several steps ask for the text of one part of a request (its tools, say; a failover, the body again): made once per object.
const texts = new WeakMap<object, string>();

/**
 * JSON text of `value`. JSON.parse takes nesting JSON.stringify overflows on: such a request is the
 * client's to fix (400 naming `param`), never a crash or an upstream failure.
 */
export function jsonText(value: JsonValue | object, param: string, message = `Invalid '${param}': nested too deeply.`): string {
  const cacheable = typeof value === "object" && value !== null;
  const known = cacheable ? texts.get(value) : undefined;
  if (known !== undefined) return known;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new GatewayError("invalid_argument", message, { param, reason: "invalid_value", cause: err });
  }
  if (cacheable) texts.set(value, text);
  return text;
}
