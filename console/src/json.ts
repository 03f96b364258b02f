// Reading the gateway's proto3 JSON without casts: guards, and field readers that fail with words when an answer is not what the console expects.
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An answer whose shape is not the documented one: shown as a sentence, never as the JSON itself. */
export class UnexpectedAnswer extends Error {
  constructor(what: string) {
    super(`The gateway's answer could not be read (${what}).`);
  }
}

export function objectOf(v: unknown, what: string): JsonObject {
  if (!isObject(v)) throw new UnexpectedAnswer(what);
  return v;
}

/** The object at `key`; an absent message field reads as an empty object (proto3 JSON leaves unset messages out). */
export function objectAt(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  if (v === undefined || v === null) return {};
  return objectOf(v, key);
}

export function textAt(o: JsonObject, key: string): string {
  const v = o[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new UnexpectedAnswer(key);
  return v;
}

/** A string that is absent when unset (timestamps, optional fields). */
export function optionalTextAt(o: JsonObject, key: string): string | undefined {
  const v = textAt(o, key);
  return v === "" ? undefined : v;
}

/** int32 fields are JSON numbers, int64 fields JSON strings (proto3 JSON); absent is zero. */
export function numberAt(o: JsonObject, key: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw new UnexpectedAnswer(key);
  return n;
}

export function optionalNumberAt(o: JsonObject, key: string): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : numberAt(o, key);
}

export function booleanAt(o: JsonObject, key: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new UnexpectedAnswer(key);
  return v;
}

export function listAt(o: JsonObject, key: string): JsonValue[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new UnexpectedAnswer(key);
  return v;
}

export function textsAt(o: JsonObject, key: string): string[] {
  return listAt(o, key).map((v) => {
    if (typeof v !== "string") throw new UnexpectedAnswer(key);
    return v;
  });
}
