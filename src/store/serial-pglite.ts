// A PGlite that keeps pglite-socket's multiplexer on one client from Parse to Sync.
import { PGlite } from "@electric-sql/pglite";

// Frontend messages that open or continue an extended-protocol exchange (Parse, Bind, Describe,
// Execute, Close, Flush); only Sync brings the backend back to a clean boundary.
const EXTENDED = new Set(["P", "B", "D", "E", "C", "H"].map((c) => c.charCodeAt(0)));
const SYNC = "S".charCodeAt(0);

/**
 * pglite-socket serves every connection from one backend and queues their messages one at a
 * time, holding to one client only while `isInTransaction()` says a BEGIN block is open. An
 * extended-protocol query is several messages (Parse, Bind, Execute, Sync), so two busy
 * connections interleave them and one client's Bind lands on the other's unnamed statement
 * ("bind message supplies 3 parameters, but prepared statement "" requires 0" — seen with two
 * `postgres` clients). Reporting the half-finished exchange as "in a transaction" makes the
 * queue finish one client's exchange before serving the next.
 */
export class SerialPGlite extends PGlite {
  #midExchange = false;

  override isInTransaction(): boolean {
    return this.#midExchange || super.isInTransaction();
  }

  // Sees every message, PGlite's own too: for a client that vanished between Parse and Sync,
  // pglite-socket's clean-up is `exec("ROLLBACK")`, which PGlite ends with a Sync of its own.
  override execProtocolRawSync(message: Uint8Array): Uint8Array {
    this.#midExchange = endsMidExchange(message, this.#midExchange);
    return super.execProtocolRawSync(message);
  }
}

/** Walks the messages in one buffer; a startup packet (first byte 0, no type) changes nothing. */
function endsMidExchange(buffer: Uint8Array, before: boolean): boolean {
  if (buffer[0] === 0) return before;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let state = before;
  let offset = 0;
  while (offset + 5 <= buffer.length) {
    const type = buffer[offset];
    if (type === SYNC) state = false;
    else if (type !== undefined && EXTENDED.has(type)) state = true;
    offset += 1 + view.getUint32(offset + 1);
  }
  return state;
}
