// Writes an event stream as OpenAI frames it (`event:` lines where the operation has them, `data:` per event, `[DONE]` where it ends so), with backpressure.
import type { ServerResponse } from "node:http";
import { toGatewayError } from "../../core/errors.js";
import type { StreamEvent, StreamResult } from "../../core/results.js";
import { drained } from "../drained.js";
import { errorEnvelope } from "./errors.js";

function frame(event: string | undefined, data: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Text waiting to go out. A batch of events (one upstream read) is written on the next tick, not at
 * once: when the stream ends right after it (a usage chunk, then [DONE]), its last write carries
 * both, one write where there would be two.
 */
class Batcher {
  private pending = "";
  private scheduled = false;

  constructor(private readonly res: ServerResponse) {}

  add(text: string): void {
    this.pending += text;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** What is still waiting, taken out (for the stream's last write). */
  take(): string {
    const text = this.pending;
    this.pending = "";
    return text;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const text = this.take();
    if (text === "" || this.res.destroyed || this.res.writableEnded) return;
    // A full buffer shows in res.writableNeedDrain, which the writer checks before taking more events.
    this.res.write(text);
  };
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
      let text = "";
      for (const e of batch) text += frame(e.event, e.raw);
      last = batch[batch.length - 1];
      out.add(text);
    }
    res.end(out.take() + (shape.sentinel ? "data: [DONE]\n\n" : ""));
  } catch (err) {
    // A stream cut mid-way ends with an error event (and no [DONE]): never a silent success.
    if (!res.destroyed) {
      const { event, data } = shape.errorEvent(errorEnvelope(toGatewayError(err)), last?.sequence);
      res.end(out.take() + frame(event, JSON.stringify(data)));
    }
  } finally {
    stream.close();
  }
}
