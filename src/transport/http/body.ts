// Reads a JSON request body: media type first, size bounded while reading, a deadline, UTF-8 and JSON checked.
import type { IncomingMessage } from "node:http";
import { isUtf8 } from "node:buffer";
import { GatewayError, invalidArgument } from "../../core/errors.js";
import { MAX_DEPTH, RawBody } from "../../core/raw-body.js";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * `deadline` is a performance.now() time by which the whole body must have arrived (408 after).
 * On a failure the request is left paused, unread: the server decides whether to drain or drop the rest.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, deadline: number): Promise<unknown> {
  return (await readJson(req, maxBytes, deadline)).value;
}

/** The body parsed, and as the client sent it (forwarded as such when the gateway changes nothing). */
export async function readJsonRequest(req: IncomingMessage, maxBytes: number, deadline: number): Promise<{ value: unknown; raw: RawBody }> {
  const { value, bytes, text } = await readJson(req, maxBytes, deadline);
  return { value, raw: new RawBody(bytes, text, value) };
}

async function readJson(req: IncomingMessage, maxBytes: number, deadline: number): Promise<{ value: unknown; bytes: Buffer; text: string }> {
  const type = req.headers["content-type"];
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new GatewayError("unsupported_media_type", "Send the request body as JSON with 'Content-Type: application/json'.", {
      reason: "unsupported_media_type",
    });
  }
  // A compressed body is refused, never inflated: its real size is unknown until it is too late.
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    throw new GatewayError("unsupported_media_type", "Compressed request bodies are not accepted: send the JSON uncompressed.", {
      reason: "unsupported_content_encoding",
    });
  }
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const bytes = await collect(req, maxBytes, deadline);
  if (bytes.length === 0) {
    throw new GatewayError("invalid_argument", "The request body is empty: send a JSON object.", { reason: "empty_body" });
  }
  if (!isUtf8(bytes)) {
    throw new GatewayError("invalid_argument", "The request body is not valid UTF-8.", { reason: "invalid_encoding" });
  }
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError("invalid_argument", "We could not parse the JSON body of your request: it is not valid JSON.", { reason: "invalid_json" });
  }
  // JSON.parse reads 1e400 as Infinity, which JSON.stringify would forward as null: refused instead.
  // Only a number with a 3-digit exponent or 309+ digits can overflow, so most bodies skip the walk.
  if (HUGE_NUMBER.test(text)) {
    const at = firstPath(value, (v) => typeof v === "number" && !Number.isFinite(v));
    if (at !== undefined) throw invalidArgument(at || "body", `Invalid '${at || "body"}': a number too large to represent.`);
  }
  // Deeper than JSON.stringify is sure to write (MAX_DEPTH): refused here, by a rule of our own, not by whether
  // the engine's serializer happens to overflow (Node 20's does at ~10,000, Node 26's does not at 100,000).
  if (mayNestBeyond(text, MAX_DEPTH)) {
    const at = firstPath(value, (v, depth) => depth >= MAX_DEPTH && typeof v === "object" && v !== null);
    if (at !== undefined) throw invalidArgument(at || "body", `Invalid '${at || "body"}': nested more than ${MAX_DEPTH} deep.`);
  }
  return { value, bytes, text };
}

/** False when the text opens `max` arrays and objects or fewer in all (most bodies): then none nests deeper. */
function mayNestBeyond(text: string, max: number): boolean {
  let opened = 0;
  for (const opener of ["[", "{"]) {
    for (let i = text.indexOf(opener); i >= 0; i = text.indexOf(opener, i + 1)) {
      if (++opened > max) return true;
    }
  }
  return false;
}

const HUGE_NUMBER = /[eE]\+?\d{3}|\d{309}/;

/** A value met in the walk, with the way back to the root: its path is spelled out only for the one found. */
interface Node {
  readonly value: unknown;
  readonly parent: Node | undefined;
  readonly key: string | number;
  readonly depth: number;
}

/** The path of the first value `bad` picks (given its nesting depth), or undefined; iterative, so no nesting depth can overflow it. */
function firstPath(root: unknown, bad: (value: unknown, depth: number) => boolean): string | undefined {
  const stack: Node[] = [{ value: root, parent: undefined, key: "", depth: 0 }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const v = node.value;
    if (bad(v, node.depth)) return pathOf(node);
    const depth = node.depth + 1;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push({ value: v[i], parent: node, key: i, depth });
    else if (typeof v === "object" && v !== null) for (const [k, item] of Object.entries(v)) stack.push({ value: item, parent: node, key: k, depth });
  }
  return undefined;
}

/** "messages[2].content", as the client would name it ("" for the body itself). */
function pathOf(node: Node): string {
  const keys: Array<string | number> = [];
  for (let at = node; at.parent; at = at.parent) keys.push(at.key);
  let path = "";
  for (const key of keys.reverse()) path = typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  return path;
}

/** Listeners, not `for await`: leaving an async iterator destroys the socket, and a client still sending would never read its 413. */
function collect(req: IncomingMessage, maxBytes: number, deadline: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    // Whole milliseconds: Node keeps one timer list per distinct delay, and a fractional delay made a new list per request.
    const timer = setTimeout(() => fail(timedOut()), Math.max(0, Math.ceil(deadline - performance.now())));
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onClose);
    };
    const fail = (err: GatewayError): void => {
      cleanup();
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge(maxBytes));
      parts.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts, size));
    };
    // The connection broke mid-body: the client's doing, not an internal failure.
    const onGone = (): void => fail(new GatewayError("cancelled", "The client went away while sending the request.", { reason: "client_closed" }));
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onClose);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError("payload_too_large", `The request body is larger than ${maxBytes} bytes.`, { reason: "request_too_large" });
}

function timedOut(): GatewayError {
  return new GatewayError("request_timeout", "The request body did not arrive in time.", { reason: "request_timeout" });
}
