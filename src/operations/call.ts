// A Call with the defaults most operations share, so each states only what it reads from its request.
import type { Call } from "../core/operation.js";

type Defaulted = "objectId" | "references" | "query" | "body" | "raw" | "apiVersion" | "includeUsage" | "needsStoredState" | "background" | "stream" | "maxOutputTokens" | "choices" | "model";

/** Nothing named upstream, no query, no body, no stream, no stored state, one choice: overridden by `parts`. */
export function callOf(parts: Omit<Call, Defaulted> & Partial<Pick<Call, Defaulted>>): Call {
  return {
    model: undefined,
    objectId: undefined,
    references: [],
    body: undefined,
    raw: undefined,
    query: [],
    stream: false,
    apiVersion: undefined,
    includeUsage: false,
    needsStoredState: false,
    background: false,
    maxOutputTokens: undefined,
    choices: 1,
    ...parts,
  };
}
