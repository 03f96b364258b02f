// Server-sent events: turns a byte stream into complete events (their `event:` name and `data:`).
import type { SseEvent } from "../core/ports.js";

/**
 * Dispatches one event per blank line, as the SSE spec does (multi-line data joined by "\n");
 * comments and other fields are ignored; an unterminated event at the end is dropped. The events a
 * chunk completes come out together, as one batch: a reader pays one turn of the event loop per
 * upstream read, not one per event (a chat stream's few dozen events often arrive in one read).
 */
export async function* sseBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent[]> {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let data: string[] = [];
  let event: string | undefined;
  // A plain function, not a generator: a generator per line would cost two or three objects per event.
  const lineOf = (line: string): SseEvent | undefined => {
    if (line === "") {
      const done = data.length > 0 ? { event, data: data.join("\n") } : undefined;
      data = [];
      event = undefined;
      return done;
    }
    if (line.startsWith("data:")) data.push(field(line, 5));
    else if (line.startsWith("event:")) event = field(line, 6);
    return undefined;
  };
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    // A trailing "\r" may be the first half of "\r\n": wait for the next chunk to decide.
    const cut = pending.endsWith("\r") ? pending.length - 1 : pending.length;
    const lines = linesOf(pending.slice(0, cut));
    pending = lines.pop() + pending.slice(cut);
    const batch = eventsOf(lines, lineOf);
    if (batch.length > 0) yield batch;
  }
  // At the end a held-back "\r" was a line end after all ("data: x\r\r" ends an event).
  if (pending.endsWith("\r")) {
    const batch = eventsOf(linesOf(pending.slice(0, -1)), lineOf);
    if (batch.length > 0) yield batch;
  }
}

/** Split at every line end the spec allows; most streams use "\n" alone, which a plain split handles faster than the pattern. */
function linesOf(text: string): string[] {
  return text.includes("\r") ? text.split(/\r\n|\r|\n/) : text.split("\n");
}

function eventsOf(lines: readonly string[], lineOf: (line: string) => SseEvent | undefined): SseEvent[] {
  const out: SseEvent[] = [];
  for (const line of lines) {
    const e = lineOf(line);
    if (e) out.push(e);
  }
  return out;
}

function field(line: string, at: number): string {
  return line.charCodeAt(at) === 32 ? line.slice(at + 1) : line.slice(at);
}
