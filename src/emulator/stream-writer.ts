// Writes SSE frames with Azure-like pacing, honouring backpressure, resets and departed clients.
import type { ServerResponse } from "node:http";
import { drained, type Pacer } from "./pacer.js";

export type FrameKind = "pre" | "content" | "post";

export interface StreamFrame {
  /** "content" frames are the ones paced by timing and counted by reset-mid-stream. */
  kind: FrameKind;
  data: string;
}

/** A frame due at a fixed moment: responses run on the emulator's clock, whoever is listening. */
export interface TimedFrame extends StreamFrame {
  /** Epoch milliseconds. */
  at: number;
}

export interface StreamPacing {
  timeToFirstTokenMs: number;
  chunkDelayMs: number;
  /** Destroy the socket after this many content frames (reset-mid-stream fault). */
  resetAfter: number | undefined;
  /** The first content frame carries the time it is handed to the socket (Timing.stampFirstToken). */
  stampFirstToken?: boolean;
}

export type StreamEnd = "done" | "gone" | "reset";

/** Unpaced frames are coalesced into writes of about this size: far fewer syscalls at load. */
const FLUSH_CHARS = 16 * 1024;

/** Collects frames into writes and counts the content frames handed to the socket. */
class FrameSink {
  private pending = "";
  contentSent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly pacer: Pacer,
    private readonly onProgress: (contentFramesSent: number) => void,
  ) {}

  /** True when the reset-mid-stream fault says this frame must not go out. */
  resetDue(frame: StreamFrame, resetAfter: number | undefined): boolean {
    return resetAfter !== undefined && (frame.kind === "post" || (frame.kind === "content" && this.contentSent === resetAfter));
  }

  /** Queues a frame; true when enough is queued to be worth a write (kept synchronous: this is the hot path). */
  add(frame: StreamFrame): boolean {
    if (frame.kind === "content") this.contentSent += 1;
    this.pending += frame.data;
    return this.pending.length >= FLUSH_CHARS;
  }

  async flush(): Promise<boolean> {
    const data = this.pending;
    this.pending = "";
    if (data !== "") {
      const flowing = this.res.write(data);
      this.onProgress(this.contentSent);
      if (!flowing) await drained(this.res);
    }
    return !this.pacer.stopped && !this.res.destroyed;
  }

  end(): void {
    this.res.end(this.pending);
    this.onProgress(this.contentSent);
  }

  /** A real TCP teardown, not a clean end: the client must see the stream break, as when Azure drops it. */
  reset(): void {
    const destroy = (): void => {
      this.res.socket?.destroy();
    };
    if (this.pending === "") destroy();
    else this.res.write(this.pending, destroy);
  }
}

/** Content frames wait timeToFirstTokenMs before the first and chunkDelayMs between the others. */
export async function writeStream(
  res: ServerResponse,
  frames: readonly StreamFrame[],
  pacing: StreamPacing,
  pacer: Pacer,
  onReset: () => void,
  onProgress: (contentFramesSent: number) => void = () => {},
): Promise<StreamEnd> {
  const sink = new FrameSink(res, pacer, onProgress);
  for (const frame of frames) {
    if (sink.resetDue(frame, pacing.resetAfter)) {
      onReset();
      sink.reset();
      return "reset";
    }
    if (frame.kind === "content") {
      const delay = sink.contentSent === 0 ? pacing.timeToFirstTokenMs : pacing.chunkDelayMs;
      if (delay > 0) {
        if (!(await sink.flush())) return "gone";
        await pacer.sleep(delay);
        if (pacer.stopped) return "gone";
      }
    }
    const sent = pacing.stampFirstToken === true && frame.kind === "content" && sink.contentSent === 0 ? stamped(frame) : frame;
    if (sink.add(sent) && !(await sink.flush())) return "gone";
  }
  sink.end();
  return "done";
}

/**
 * The frame with `"emulator_sent_at_ms"` first in its JSON object. Taken as the frame is queued: the
 * queue is written in the same turn (before the next content frame's wait, or at the end), so the
 * stamp is at most the few microseconds of that turn early.
 */
function stamped(frame: StreamFrame): StreamFrame {
  const sentAt = (performance.timeOrigin + performance.now()).toFixed(3);
  return { kind: frame.kind, data: frame.data.replace("data: {", `data: {"emulator_sent_at_ms":${sentAt},`) };
}

export interface Schedule {
  /** Frames after this position are sent (-1: all); a response's event at position i has `sequence_number` i. */
  after: number;
  /** Frames due after this moment are never sent (a cancelled response); the stream then ends cleanly. */
  cutoff: () => number;
  resetAfter: number | undefined;
}

/**
 * Sends each frame at its own time: at once if it is already due (a late reader catching up), else
 * when it falls due. `pacer.nudge()` makes the writer look at `cutoff` again before its time comes.
 */
export async function writeScheduled(
  res: ServerResponse,
  frames: readonly TimedFrame[],
  schedule: Schedule,
  pacer: Pacer,
  onReset: () => void,
  onProgress: (contentFramesSent: number) => void,
): Promise<StreamEnd> {
  const sink = new FrameSink(res, pacer, onProgress);
  let i = Math.max(0, schedule.after + 1);
  for (let frame = frames[i]; frame !== undefined && frame.at <= schedule.cutoff(); frame = frames[i]) {
    if (sink.resetDue(frame, schedule.resetAfter)) {
      onReset();
      sink.reset();
      return "reset";
    }
    const wait = frame.at - Date.now();
    if (wait > 0) {
      if (!(await sink.flush())) return "gone";
      await pacer.sleep(wait);
      if (pacer.stopped) return "gone";
      continue;
    }
    i += 1;
    if (sink.add(frame) && !(await sink.flush())) return "gone";
  }
  sink.end();
  return "done";
}
