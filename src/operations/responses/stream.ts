// The Responses stream shape: named events with sequence numbers, no `[DONE]`, the final usage in the terminal event.
import { safeCode } from "../../core/errors.js";
import { intAt, isObject, objectAt, type JsonObject } from "../../core/json.js";
import type { EventFacts, StreamShape } from "../../core/operation.js";
import { isItemId } from "./ids.js";
import { responseState } from "./state.js";

const LIFECYCLE = new Set(["response.created", "response.queued", "response.in_progress"]);
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "response.cancelled"]);

const ITEM_ADDED = "response.output_item.added";
/** The types `read` acts on beyond text: an event whose type is one of them has its name among its quoted tokens. */
const TOLD = new Set([...LIFECYCLE, ...TERMINAL, ITEM_ADDED, "error"]);
/**
 * An event may tell something when its text holds one of those types, or a `response`, `item` or
 * `error` key (a JSON string holds no unescaped quote, so these are keys or whole values; `\u`
 * catches a name spelt with escapes). Deltas and `.done` events hold none of them.
 */
const TELLS = new RegExp(String.raw`"(?:response|item|${[...TOLD].map((t) => t.replaceAll(".", "\\.")).join("|")})"|\\u`);

/** Deltas that carry generated text (audio deltas carry base64, which is not text to count). */
function isTextDelta(type: string): boolean {
  return type.endsWith(".delta") && !type.includes("audio");
}

export const responsesStream: StreamShape = {
  sentinel: false,
  read(event, data, _call, text): EventFacts {
    const type = typeof data.type === "string" ? data.type : (event ?? "");
    const sequence = intAt(data, "sequence_number");
    if (type === "error") {
      return { forward: false, errorCode: safeCode(data.code) ?? safeCode(objectAt(data, "error")?.code) ?? "unknown" };
    }
    if (LIFECYCLE.has(type) || TERMINAL.has(type)) {
      const object = responseState(objectAt(data, "response"));
      return { forward: true, sequence, terminal: TERMINAL.has(type), ...(object ? { object, usage: object.usage } : {}) };
    }
    if (type === ITEM_ADDED) {
      const id = objectAt(data, "item")?.id;
      return { forward: true, sequence, ...(isItemId(id) ? { itemIds: [id] } : {}) };
    }
    if (isTextDelta(type) && typeof data.delta === "string") text.push(data.delta);
    return { forward: true, sequence };
  },
  // A `type` absent from the data falls back to the event's name.
  mayTell: (event, data) => (event !== undefined && TOLD.has(event)) || TELLS.test(data),
  mayCarryText: (_event, data) => data.includes('"delta"'),
  /** OpenAI's error event, with the envelope's `error` too so SDKs that look for it throw. */
  errorEvent(envelope, lastSequence): { event: string; data: JsonObject } {
    const error = isObject(envelope.error) ? envelope.error : {};
    return {
      event: "error",
      data: {
        type: "error",
        code: error.code ?? null,
        message: error.message ?? null,
        param: error.param ?? null,
        sequence_number: lastSequence === undefined ? 0 : lastSequence + 1,
        error,
      },
    };
  },
};
