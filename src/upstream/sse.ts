// Server-sent events: turns a byte stream into complete events (their `event:` name and `data:`), each with its own bytes where they can be forwarded as they are.
import { isUtf8 } from "node:buffer";
import type { SseEvent } from "../core/ports.js";

const CR = 0x0d;
const SPACE = 0x20;
const BLANK_LINE = Buffer.from("\n\n");
const NO_BYTES = Buffer.alloc(0);

/** Chunks read one at a time, without an iterator: the next, `null` at the end, or a promise of either (StreamAnswer.read). */
export interface ChunkReader {
  read(): Uint8Array | null | Promise<Uint8Array | null>;
}

/**
 * Dispatches one event per blank line, as the SSE spec does (multi-line data joined by "\n");
 * comments and other fields are ignored; an unterminated event at the end is dropped. The events a
 * chunk completes come out together, as one batch: a reader pays one turn of the event loop per
 * upstream read, not one per event (a chat stream's few dozen events often arrive in one read).
 * A batch costs one promise: no generator between the socket and the relay.
 */
export function sseBatches(body: ChunkReader): AsyncIterableIterator<SseEvent[]> {
  return new SseBatches(body);
}

class SseBatches implements AsyncIterableIterator<SseEvent[]> {
  private readonly decoder = new SseDecoder();
  private done = false;

  constructor(private readonly body: ChunkReader) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<SseEvent[]>> {
    while (!this.done) {
      const read = this.body.read();
      const chunk = read instanceof Promise ? await read : read;
      this.done = chunk === null;
      const batch = chunk === null ? this.decoder.end() : this.decoder.push(chunk);
      if (batch.length > 0) return { value: batch, done: false };
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<SseEvent[]>> {
    this.done = true;
    return { value: undefined, done: true };
  }
}

/**
 * The decoder behind sseBatches. Streams whose lines end in "\n" alone (Azure's, the emulator's) are
 * cut into events on their bytes: each event is decoded on its own, and one written exactly as the
 * HTTP door would write it again (sseFrame in src/core/sse-frame.ts: `event: <name>\n` at most, one
 * `data: ` line, valid UTF-8) keeps
 * its bytes as `frame`, so the door forwards them instead of building and encoding the text anew.
 * The first "\r" turns the rest of the stream over to a reader of every line ending the spec allows.
 */
class SseDecoder {
  /** The bytes of an event not yet complete (line-feed mode). */
  private pending: Buffer = NO_BYTES;
  /** Set at the first "\r": the text reader that takes over. */
  private lines: LineReader | undefined;

  push(chunk: Uint8Array): SseEvent[] {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.lines) return this.lines.push(bytes);
    if (bytes.includes(CR)) {
      this.lines = new LineReader();
      const held = this.pending;
      this.pending = NO_BYTES;
      return [...this.lines.push(held), ...this.lines.push(bytes)];
    }
    const all = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    const last = all.lastIndexOf(BLANK_LINE);
    if (last < 0) {
      this.pending = all;
      return [];
    }
    const out: SseEvent[] = [];
    const used = eventsIn(all, last + 2, out);
    this.pending = used < all.length ? all.subarray(used) : NO_BYTES;
    return out;
  }

  end(): SseEvent[] {
    // A held "\r" that ended the stream was a line end after all ("data: x\r\r" ends an event).
    return this.lines ? this.lines.end() : [];
  }
}

/**
 * The events that end before `limit` (just past the last blank line in `bytes`) into `out`; returns
 * where the next one starts. A blank line is never inside a multi-byte character, so events are
 * decoded one by one.
 */
function eventsIn(bytes: Buffer, limit: number, out: SseEvent[]): number {
  const forwardable = isUtf8(limit === bytes.length ? bytes : bytes.subarray(0, limit));
  const fields = new EventFields();
  let start = 0;
  for (let end = bytes.indexOf(BLANK_LINE); end >= 0 && end + 2 <= limit; end = bytes.indexOf(BLANK_LINE, start)) {
    const text = bytes.toString("utf8", start, end);
    for (let at = 0; at <= text.length; ) {
      let eol = text.indexOf("\n", at);
      if (eol < 0) eol = text.length;
      fields.line(text, at, eol);
      at = eol + 1;
    }
    const e = fields.dispatch(forwardable && fields.plain ? bytes.subarray(start, end + 2) : undefined);
    if (e) out.push(e);
    start = end + 2;
  }
  return start;
}

/** The spec's line reader over text, for streams whose lines may end in "\r\n" or "\r". */
class LineReader {
  private readonly decoder = new TextDecoder("utf-8");
  private pending = "";
  private readonly fields = new EventFields();

  push(bytes: Uint8Array): SseEvent[] {
    this.pending += this.decoder.decode(bytes, { stream: true });
    // A trailing "\r" may be the first half of "\r\n": wait for the next chunk to decide.
    const cut = this.pending.endsWith("\r") ? this.pending.length - 1 : this.pending.length;
    const lines = this.pending.slice(0, cut).split(/\r\n|\r|\n/);
    this.pending = lines.pop() + this.pending.slice(cut);
    return this.eventsOf(lines);
  }

  end(): SseEvent[] {
    return this.pending.endsWith("\r") ? this.eventsOf(this.pending.slice(0, -1).split(/\r\n|\r|\n/)) : [];
  }

  private eventsOf(lines: readonly string[]): SseEvent[] {
    const out: SseEvent[] = [];
    for (const line of lines) {
      if (line !== "") this.fields.line(line, 0, line.length);
      else {
        const e = this.fields.dispatch(undefined);
        if (e) out.push(e);
      }
    }
    return out;
  }
}

/** One event's fields as its lines come, read as the spec reads them, and whether those lines are exactly how a text door writes the event again. */
class EventFields {
  private data: string | undefined;
  private event: string | undefined;
  private lines = 0;
  /** `event: <name>` first at most, one `data: ` line, nothing else. */
  plain = true;

  /** The line `text[at, end)`: data lines join with "\n", the last `event:` names the event, other fields and comments are ignored. */
  line(text: string, at: number, end: number): void {
    if (text.startsWith("data:", at)) {
      this.plain &&= this.data === undefined && text.charCodeAt(at + 5) === SPACE;
      const value = field(text, at + 5, end);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    } else if (text.startsWith("event:", at)) {
      this.plain &&= this.lines === 0 && text.charCodeAt(at + 6) === SPACE;
      this.event = field(text, at + 6, end);
    } else this.plain = false;
    this.lines++;
  }

  /** At a blank line: the event (none without data), with `frame` when given; the fields start again. */
  dispatch(frame: Buffer | undefined): SseEvent | undefined {
    const { data, event } = this;
    this.data = undefined;
    this.event = undefined;
    this.lines = 0;
    this.plain = true;
    if (data === undefined) return undefined;
    return frame ? { event, data, frame } : { event, data };
  }
}

/** A field's value: from `at` to `end`, less one leading space. */
function field(text: string, at: number, end: number): string {
  return text.charCodeAt(at) === SPACE ? text.slice(at + 1, end) : text.slice(at, end);
}
