// The one layout of a server-sent event this gateway writes, and reads back: `event: <name>` line at most, one `data: ` line, a blank line.

/*
 * Three places depend on it: the HTTP door writes events so (sse-writer), the SSE decoder keeps an
 * upstream event's bytes as its `frame` only when they are laid out so (src/upstream/sse.ts, see
 * SseEvent.frame), and the relay reads a kept frame back (relay.ts). The writer and the reader are
 * here; test/core/sse-frame.test.ts holds the decoder to the same layout.
 */

/** An event as the HTTP door writes it. */
export function sseFrame(event: string | undefined, data: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

const D = 0x64;
const LF = 0x0a;
const DATA_PREFIX = "data: ".length;
const EVENT_PREFIX = "event: ".length;
const BLANK_LINE = "\n\n".length;

/** An event's name and data read back from its frame (UTF-8, laid out as sseFrame lays it out): one that starts with the "d" of "data: " has no name. */
export function sseFrameFields(frame: Buffer): { readonly event: string | undefined; readonly data: string } {
  if (frame[0] === D) return { event: undefined, data: frame.toString("utf8", DATA_PREFIX, frame.length - BLANK_LINE) };
  const eol = frame.indexOf(LF);
  return { event: frame.toString("utf8", EVENT_PREFIX, eol), data: frame.toString("utf8", eol + 1 + DATA_PREFIX, frame.length - BLANK_LINE) };
}
