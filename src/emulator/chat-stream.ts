// Writes a chat stream's events with Azure-like pacing, honouring backpressure, resets and departed clients.
import type { ServerResponse } from "node:http";
import type { StreamFrame } from "./chat-wire.js";
import { drained, type Pacer } from "./pacer.js";

export interface StreamPacing {
  timeToFirstTokenMs: number;
  chunkDelayMs: number;
  /** Destroy the socket after this many content frames (reset-mid-stream fault). */
  resetAfter: number | undefined;
}

export type StreamEnd = "done" | "gone" | "reset";

/** Unpaced frames are coalesced into writes of about this size: far fewer syscalls at load. */
const FLUSH_CHARS = 16 * 1024;

export async function writeStream(
  res: ServerResponse,
  frames: readonly StreamFrame[],
  pacing: StreamPacing,
  pacer: Pacer,
  onReset: () => void,
  onProgress: (contentFramesSent: number) => void = () => {},
): Promise<StreamEnd> {
  let pending = "";
  let contentSent = 0;
  const flush = async (): Promise<boolean> => {
    const data = pending;
    pending = "";
    if (data !== "") {
      const flowing = res.write(data);
      onProgress(contentSent);
      if (!flowing) await drained(res);
    }
    return !pacer.stopped && !res.destroyed;
  };

  for (const frame of frames) {
    const resetNow =
      pacing.resetAfter !== undefined &&
      (frame.kind === "post" || (frame.kind === "content" && contentSent === pacing.resetAfter));
    if (resetNow) {
      onReset();
      resetAfterWrite(res, pending);
      return "reset";
    }
    if (frame.kind === "content") {
      const delay = contentSent === 0 ? pacing.timeToFirstTokenMs : pacing.chunkDelayMs;
      if (delay > 0) {
        if (!(await flush())) return "gone";
        await pacer.sleep(delay);
        if (pacer.stopped) return "gone";
      }
      contentSent += 1;
    }
    pending += frame.data;
    if (pending.length >= FLUSH_CHARS && !(await flush())) return "gone";
  }
  res.end(pending);
  onProgress(contentSent);
  return "done";
}

/** A real TCP teardown, not a clean end: the client must see the stream break, as when Azure drops it. */
function resetAfterWrite(res: ServerResponse, pending: string): void {
  const destroy = (): void => {
    res.socket?.destroy();
  };
  if (pending === "") destroy();
  else res.write(pending, destroy);
}
