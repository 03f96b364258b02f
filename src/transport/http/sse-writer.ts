// Writes an event stream as OpenAI frames it (`event:` lines where the operation has them, `data:` per event, `[DONE]` where it ends so), with backpressure.
import type { ServerResponse } from "node:http";
import { toGatewayError } from "../../core/errors.js";
import type { StreamEvent, StreamResult } from "../../core/results.js";
import { sseFrame } from "../../core/sse-frame.js";
import { drained } from "../drained.js";
import { errorEnvelope } from "./errors.js";

const DONE = Buffer.from(sseFrame(undefined, "[DONE]"));

/**
 * What waits to go out: text, and the upstream's own bytes for events written as this door would
 * write them (see SseEvent.frame). A batch of events (one upstream read) is written on the next
 * tick, not at once: when the stream ends right after it (a usage chunk, then [DONE]), its last
 * write carries both. Frames that follow each other in one upstream read are written as one slice of
 * it, so a read whose events all pass goes out as the bytes that came in, never decoded into a
 * string to be encoded again.
 */
class Batcher {
  private parts: Array<string | Buffer> = [];
  /** The first frame of a run of frames that follow each other in memory, and the run's length so far. */
  private run: Buffer | undefined;
  private runLength = 0;
  private scheduled = false;

  constructor(private readonly res: ServerResponse) {}

  add(e: StreamEvent): void {
    const f = e.frame;
    const run = this.run;
    if (f && run && f.buffer === run.buffer && run.byteOffset + this.runLength === f.byteOffset) this.runLength += f.length;
    else if (f) {
      this.closeRun();
      this.run = f;
      this.runLength = f.length;
    } else {
      this.closeRun();
      const text = sseFrame(e.event, e.raw);
      const last = this.parts.length - 1;
      const before = this.parts[last];
      if (typeof before === "string") this.parts[last] = before + text;
      else this.parts.push(text);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** The stream's last write: what is still waiting, then `tail`, in one chunk. */
  end(tail: string | Buffer): void {
    const parts = this.take();
    if (tail.length > 0) parts.push(tail);
    this.res.end(parts.length > 0 ? joined(parts) : "");
  }

  /** A run of frames becomes one slice of the memory they share. */
  private closeRun(): void {
    const run = this.run;
    if (!run) return;
    this.parts.push(this.runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, this.runLength));
    this.run = undefined;
  }

  private take(): Array<string | Buffer> {
    this.closeRun();
    const parts = this.parts;
    this.parts = [];
    return parts;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const parts = this.take();
    if (parts.length === 0 || this.res.destroyed || this.res.writableEnded) return;
    // A full buffer shows in res.writableNeedDrain, which the writer checks before taking more events.
    this.res.write(joined(parts));
  };
}

/**
 * The parts as one chunk of the response: a client's parser wakes once per chunk. Most often there
 * is one part (a whole upstream read); else text is joined, and bytes copied together once.
 */
function joined(parts: ReadonlyArray<string | Buffer>): string | Buffer {
  const first = parts[0];
  if (parts.length === 1 && first !== undefined) return first;
  if (parts.every((p) => typeof p === "string")) return parts.join("");
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

export async function writeEventStream(res: ServerResponse, stream: StreamResult): Promise<void> {
  const shape = stream.shape;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    // Proxies such as nginx must not buffer the stream.
    "x-accel-buffering": "no",
  });
  const out = new Batcher(res);
  // Its sequence is read only if the stream fails (an event passed on unparsed parses then).
  let last: StreamEvent | undefined;
  try {
    for await (const batch of stream) {
      if (res.destroyed) return;
      if (res.writableNeedDrain) {
        await drained(res, ["close"]);
        if (res.destroyed) return;
      }
      for (const e of batch) out.add(e);
      last = batch[batch.length - 1];
    }
    out.end(shape.sentinel ? DONE : "");
  } catch (err) {
    // A stream cut mid-way ends with an error event (and no [DONE]): never a silent success.
    if (!res.destroyed) {
      const { event, data } = shape.errorEvent(errorEnvelope(toGatewayError(err)), last?.sequence);
      out.end(sseFrame(event, JSON.stringify(data)));
    }
  } finally {
    stream.close();
  }
}
