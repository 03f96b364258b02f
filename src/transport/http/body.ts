// Reads a JSON request body: media type first, size bounded while reading, UTF-8 and JSON checked.
import type { IncomingMessage } from "node:http";
import { isUtf8 } from "node:buffer";
import { GatewayError } from "../../core/errors.js";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers["content-type"];
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new GatewayError("unsupported_media_type", "Send the request body as JSON with 'Content-Type: application/json'.", {
      reason: "unsupported_media_type",
    });
  }
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);

  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      if (!Buffer.isBuffer(chunk)) continue;
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      parts.push(chunk);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    // The connection broke mid-body: the client's doing, not an internal failure.
    throw new GatewayError("cancelled", "The client went away while sending the request.", { reason: "client_closed", cause: err });
  }
  if (size === 0) {
    throw new GatewayError("invalid_argument", "The request body is empty: send a JSON object.", { reason: "empty_body" });
  }
  const bytes = parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts, size);
  if (!isUtf8(bytes)) {
    throw new GatewayError("invalid_argument", "The request body is not valid UTF-8.", { reason: "invalid_encoding" });
  }
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new GatewayError(
      "invalid_argument",
      "We could not parse the JSON body of your request: it is not valid JSON.",
      { reason: "invalid_json" },
    );
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError("payload_too_large", `The request body is larger than ${maxBytes} bytes.`, {
    reason: "request_too_large",
  });
}
