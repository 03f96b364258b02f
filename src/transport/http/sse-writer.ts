// Writes a chat stream as OpenAI frames it: `data: <json>\n\n` per chunk, `data: [DONE]\n\n` last, with backpressure.
import type { ServerResponse } from "node:http";
import { toGatewayError } from "../../core/errors.js";
import type { ChatStream } from "../../core/results.js";
import { drained } from "../drained.js";
import { errorEnvelope } from "./errors.js";

export async function writeEventStream(res: ServerResponse, stream: ChatStream): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    // Proxies such as nginx must not buffer the stream.
    "x-accel-buffering": "no",
  });
  try {
    for await (const chunk of stream) {
      if (res.destroyed) return;
      if (!res.write(`data: ${chunk.raw}\n\n`)) await drained(res, ["close"]);
    }
    res.end("data: [DONE]\n\n");
  } catch (err) {
    // A stream cut mid-way ends with an error event and no [DONE]: never a silent success.
    if (!res.destroyed) res.end(`data: ${JSON.stringify(errorEnvelope(toGatewayError(err)))}\n\n`);
  } finally {
    stream.close();
  }
}
