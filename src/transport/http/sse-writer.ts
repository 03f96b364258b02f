// Writes an event stream as OpenAI frames it (`event:` lines where the operation has them, `data:` per event, `[DONE]` where it ends so), with backpressure.
import type { ServerResponse } from "node:http";
import { toGatewayError } from "../../core/errors.js";
import type { StreamEvent, StreamResult } from "../../core/results.js";
import { drained } from "../drained.js";
import { errorEnvelope } from "./errors.js";

function frame(event: string | undefined, data: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

export async function writeEventStream(res: ServerResponse, stream: StreamResult): Promise<void> {
  const shape = stream.shape;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    // Proxies such as nginx must not buffer the stream.
    "x-accel-buffering": "no",
  });
  // Its sequence is read only if the stream fails (an event passed on unparsed parses then).
  let last: StreamEvent | undefined;
  try {
    for await (const e of stream) {
      if (res.destroyed) return;
      last = e;
      if (!res.write(frame(e.event, e.raw))) await drained(res, ["close"]);
    }
    res.end(shape.sentinel ? "data: [DONE]\n\n" : undefined);
  } catch (err) {
    // A stream cut mid-way ends with an error event (and no [DONE]): never a silent success.
    if (!res.destroyed) {
      const { event, data } = shape.errorEvent(errorEnvelope(toGatewayError(err)), last?.sequence);
      res.end(frame(event, JSON.stringify(data)));
    }
  } finally {
    stream.close();
  }
}
