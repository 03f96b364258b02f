// Keyset pagination tokens: the (created_at, id) of a page's last row, opaque to clients.
import { GatewayError } from "../core/errors.js";

export interface PageCursor {
  readonly createdAt: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodePageToken(c: PageCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString("base64url");
}

export function decodePageToken(token: string): PageCursor | undefined {
  if (token === "") return undefined;
  const invalid = new GatewayError("invalid_argument", "Invalid 'page_token': use the next_page_token of a previous page.", {
    param: "page_token",
    reason: "invalid_value",
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || typeof parsed[1] !== "string" || !UUID.test(parsed[1])) throw invalid;
  const createdAt = new Date(parsed[0]);
  if (Number.isNaN(createdAt.getTime())) throw invalid;
  return { createdAt, id: parsed[1] };
}

/** page_size: 1 to 1000, 100 when unset (0). */
export function pageSize(requested: number): number {
  if (requested === 0) return 100;
  if (!Number.isInteger(requested) || requested < 1 || requested > 1000) {
    throw new GatewayError("invalid_argument", "Invalid 'page_size': expected 1 to 1000.", { param: "page_size", reason: "invalid_value" });
  }
  return requested;
}
