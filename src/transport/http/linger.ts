// After an early error answer, what is left of the request body: read and dropped (bounded) so the client reads the answer instead of a reset.
import type { IncomingMessage } from "node:http";

/** Discarded at most this much, for at most this long, as nginx's lingering close does; then the connection is dropped. */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 10_000;
/** A small rest is just read (keep-alive survives); a larger one is never waited for on an unauthenticated answer. */
export const SMALL_REST_BYTES = 64 * 1024;

/**
 * The answer goes out with `Connection: close`; Node would then destroy the socket at once, and a
 * client still writing its body gets EPIPE instead of the answer. Here the socket stays open while
 * the rest of the body is read and dropped, up to the bounds, and closes once the body has ended.
 */
export function lingeringClose(req: IncomingMessage): void {
  const socket = req.socket;
  // Node calls destroySoon once a `Connection: close` answer is written; the close waits for the body's end instead.
  socket.destroySoon = () => undefined;
  let seen = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LINGER_BYTES) socket.destroy();
  });
  req.on("end", () => socket.end());
  req.resume();
}

/** The body a client announced that has not been read yet (Infinity when chunked). */
export function unreadBytes(req: IncomingMessage): number {
  if (req.complete) return 0;
  const declared = req.headers["content-length"];
  return declared === undefined ? Infinity : Number(declared);
}
