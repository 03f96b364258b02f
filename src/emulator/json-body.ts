// Reads a request body and parses it as the JSON object every Azure POST expects.
import type { IncomingMessage } from "node:http";
import { bodyTooLarge, openAiError, unparsableBody, WireError } from "./wire-errors.js";

export type JsonObject = { [key: string]: unknown };

/** Azure rejects bodies far below this; the cap only keeps a hostile client from exhausting memory. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Resolves undefined if the client went away mid-body; there is nobody to answer then. */
export function readBody(req: IncomingMessage): Promise<Buffer | WireError | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else parts.push(part);
    });
    req.on("end", () => resolve(tooLarge ? bodyTooLarge() : Buffer.concat(parts, size)));
    req.on("error", () => resolve(undefined));
    req.on("close", () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

export function parseJsonObject(raw: Buffer): JsonObject | WireError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    return unparsableBody();
  }
  if (!isObject(parsed)) {
    return openAiError(400, "Invalid type for request body: expected an object.", null, "invalid_type");
  }
  return parsed;
}
