// Reads a Responses `input`: checks each item as Azure does and gives every stored item an id.
import { randomBytes } from "node:crypto";
import { isObject, type JsonObject } from "./json-body.js";
import { present } from "./param-checks.js";
import { invalidType, invalidValue, missingParam, WireError } from "./wire-errors.js";

export interface ResponseInput {
  /** As input_items lists them: messages with content parts, each item with an id. */
  items: JsonObject[];
  /** A function's result came last: the model answers it in words rather than calling again. */
  endsWithToolOutput: boolean;
}

const ROLES = new Set(["user", "assistant", "system", "developer"]);
const TEXT_PARTS = new Set(["input_text", "output_text"]);

/** OpenAI's item ids: a type prefix and 48 hex digits. */
export const itemId = (prefix: string): string => `${prefix}_${randomBytes(24).toString("hex")}`;

export function readInput(input: unknown): ResponseInput | WireError {
  if (!present(input)) return { items: [], endsWithToolOutput: false };
  if (typeof input === "string") {
    return { items: [storedMessage(undefined, "user", [{ type: "input_text", text: input }])], endsWithToolOutput: false };
  }
  if (!Array.isArray(input)) return invalidType("input", "a string or an array", input);
  const items: JsonObject[] = [];
  for (let i = 0; i < input.length; i++) {
    const item = readItem(input[i], `input[${i}]`);
    if (item instanceof WireError) return item;
    items.push(item);
  }
  return { items, endsWithToolOutput: items.at(-1)?.type === "function_call_output" };
}

function readItem(item: unknown, at: string): JsonObject | WireError {
  if (!isObject(item)) return invalidType(at, "an object", item);
  // `{role, content}` without a type is the "easy" message form.
  const type = item.type ?? "message";
  if (typeof type !== "string") return invalidType(`${at}.type`, "a string", type);
  switch (type) {
    case "message":
      return readMessage(item, at);
    case "function_call_output": {
      const callId = requireString(item, "call_id", at);
      if (callId) return callId;
      if (!present(item.output)) return missingParam(`${at}.output`);
      if (typeof item.output !== "string" && !Array.isArray(item.output)) {
        return invalidType(`${at}.output`, "a string or an array", item.output);
      }
      return withId(item);
    }
    case "item_reference":
      // Its `id` names the referenced item, so it is kept as sent.
      return requireString(item, "id", at) ?? { ...item };
    default:
      // Other item types (function_call, reasoning, tool calls replayed from earlier output) are accepted as they come.
      return withId(item);
  }
}

function readMessage(item: JsonObject, at: string): JsonObject | WireError {
  if (!present(item.role)) return missingParam(`${at}.role`);
  // The value is not echoed: it is caller content and error bodies travel further than requests.
  if (typeof item.role !== "string" || !ROLES.has(item.role)) {
    return invalidValue(`${at}.role`, "supported values are: 'user', 'assistant', 'system', and 'developer'.");
  }
  const content = item.content;
  if (!present(content)) return missingParam(`${at}.content`);
  if (typeof content === "string") {
    return storedMessage(item.id, item.role, [{ type: item.role === "assistant" ? "output_text" : "input_text", text: content }]);
  }
  if (!Array.isArray(content)) return invalidType(`${at}.content`, "a string or an array", content);
  const parts: JsonObject[] = [];
  for (let k = 0; k < content.length; k++) {
    const part: unknown = content[k];
    const where = `${at}.content[${k}]`;
    if (!isObject(part)) return invalidType(where, "an object", part);
    const partType = requireString(part, "type", where);
    if (partType) return partType;
    if (typeof part.type === "string" && TEXT_PARTS.has(part.type)) {
      const text = requireString(part, "text", where);
      if (text) return text;
    }
    parts.push(part);
  }
  return storedMessage(item.id, item.role, parts);
}

function storedMessage(id: unknown, role: string, content: JsonObject[]): JsonObject {
  return { id: typeof id === "string" ? id : itemId("msg"), type: "message", role, content, status: "completed" };
}

function withId(item: JsonObject): JsonObject {
  const { id, ...rest } = item;
  return { id: typeof id === "string" ? id : itemId("msg"), ...rest };
}

/** The error for a missing or mistyped string field, or undefined when it is fine. */
function requireString(obj: JsonObject, field: string, at: string): WireError | undefined {
  const value = obj[field];
  if (!present(value)) return missingParam(`${at}.${field}`);
  return typeof value === "string" ? undefined : invalidType(`${at}.${field}`, "a string", value);
}
