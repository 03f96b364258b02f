// Checks shared by every request body: absent, mistyped and out-of-range values, in OpenAI's wording.
import { isObject } from "./json-body.js";
import { invalidType, invalidValue, openAiError, type WireError } from "./wire-errors.js";

export interface Range {
  integer: boolean;
  min: number;
  max: number;
}

/** A body field and the bounds its number must keep. */
export type RangedParam = readonly [string, Range];

/** Sampling bounds every text endpoint shares, Responses included. */
export const SAMPLING_RANGES: readonly RangedParam[] = [
  ["temperature", { integer: false, min: 0, max: 2 }],
  ["top_p", { integer: false, min: 0, max: 1 }],
];

/** Chat and legacy completions also take penalties and several choices. */
export const COMPLETION_SAMPLING_RANGES: readonly RangedParam[] = [
  ...SAMPLING_RANGES,
  ["presence_penalty", { integer: false, min: -2, max: 2 }],
  ["frequency_penalty", { integer: false, min: -2, max: 2 }],
  ["n", { integer: true, min: 1, max: 128 }],
];

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** OpenAI treats an explicit null like an absent optional field. */
export const present = (v: unknown): boolean => v !== undefined && v !== null;

export function checkNumber(param: string, value: unknown, range: Range): WireError | undefined {
  if (!present(value)) return undefined;
  const kind = range.integer ? "integer" : "decimal";
  if (typeof value !== "number" || !Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
    return invalidType(param, range.integer ? "an integer" : "a decimal", value);
  }
  if (value < range.min) {
    return openAiError(
      400,
      `Invalid '${param}': ${kind} below minimum value. Expected a value >= ${range.min}, but got ${value} instead.`,
      param,
      `${kind}_below_min_value`,
    );
  }
  if (value > range.max) {
    return openAiError(
      400,
      `Invalid '${param}': ${kind} above maximum value. Expected a value <= ${range.max}, but got ${value} instead.`,
      param,
      `${kind}_above_max_value`,
    );
  }
  return undefined;
}

export function checkAll(body: Readonly<Record<string, unknown>>, ranges: readonly RangedParam[]): WireError | undefined {
  for (const [param, range] of ranges) {
    const error = checkNumber(param, body[param], range);
    if (error) return error;
  }
  return undefined;
}

/** A function tool's name as OpenAI takes it; `param` says where in the body it sits. */
export function readFunctionName(param: string, name: unknown): string | WireError {
  if (typeof name === "string" && FUNCTION_NAME.test(name)) return name;
  return invalidValue(param, "expected a string of letters, digits, '_' or '-', at most 64 long.");
}

/** A query parameter holds text; it must spell an integer before its range is checked like a body field's. */
export function queryInteger(param: string, raw: string | null, range: Range): number | undefined | WireError {
  if (raw === null) return undefined;
  if (!/^-?\d{1,15}$/.test(raw)) return invalidType(param, "an integer", raw);
  const value = Number(raw);
  return checkNumber(param, value, range) ?? value;
}

/** Optional boolean field: undefined when absent, the error naming it when mistyped. */
export function readBoolean(body: Readonly<Record<string, unknown>>, param: string): boolean | undefined | WireError {
  const value = body[param];
  if (!present(value)) return undefined;
  return typeof value === "boolean" ? value : invalidType(param, "a boolean", value);
}

/** Optional string field, same rules. */
export function readString(body: Readonly<Record<string, unknown>>, param: string): string | undefined | WireError {
  const value = body[param];
  if (!present(value)) return undefined;
  return typeof value === "string" ? value : invalidType(param, "a string", value);
}

/** `stream_options` as chat and legacy completions take it: only with `stream`, `include_usage` a boolean. */
export function readStreamOptions(options: unknown, stream: boolean): boolean | WireError {
  if (!present(options)) return false;
  if (!isObject(options)) return invalidType("stream_options", "an object", options);
  if (!stream) {
    return openAiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", null);
  }
  if (present(options.include_usage) && typeof options.include_usage !== "boolean") {
    return invalidType("stream_options.include_usage", "a boolean", options.include_usage);
  }
  return options.include_usage === true;
}
