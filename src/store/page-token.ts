// Keyset pagination tokens: the id of a page's last row, opaque to clients.
import { GatewayError } from "../core/errors.js";

/**
 * Pages are ordered by (created_at, id); the cursor names the last row by id and the query reads
 * its created_at from the table, since a JS Date would cut Postgres's microseconds.
 */
export interface PageCursor {
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodePageToken(c: PageCursor): string {
  return Buffer.from(c.id).toString("base64url");
}

/**
 * A page from a query that read `limit + 1` rows: the first `limit`, and the next page's token when the extra row
 * shows there is more ("" on the last page).
 */
export function pageOf<R, T extends PageCursor>(rows: readonly R[], limit: number, map: (row: R) => T): { items: T[]; next: string } {
  const items = rows.slice(0, limit).map(map);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodePageToken(last) : "" };
}

export function decodePageToken(token: string): PageCursor | undefined {
  if (token === "") return undefined;
  const invalid = new GatewayError("invalid_argument", "Invalid 'page_token': use the next_page_token of a previous page.", {
    param: "page_token",
    reason: "invalid_value",
  });
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (!UUID.test(id)) throw invalid;
  return { id };
}

/** page_size: 1 to 1000, 100 when unset (0). */
export function pageSize(requested: number): number {
  if (requested === 0) return 100;
  if (!Number.isInteger(requested) || requested < 1 || requested > 1000) {
    throw new GatewayError("invalid_argument", "Invalid 'page_size': expected 1 to 1000.", { param: "page_size", reason: "invalid_value" });
  }
  return requested;
}
