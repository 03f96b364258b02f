// Delivers a chat or legacy completions answer: one JSON body when the stream would have ended, or the paced stream.
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { writeStream, type StreamFrame } from "./stream-writer.js";
import type { Remaining } from "./wire-headers.js";

export const SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8";

export interface PacedAnswer {
  stream: boolean;
  /** Content frames of the longest choice: what a unary answer waits for. */
  longestChoice: number;
  unaryBody: () => string;
  frames: () => StreamFrame[];
}

/** Enough of a chat or completions answer to pace it: each piece of a choice is one content frame. */
interface PacedChoices {
  choices: ReadonlyArray<{ pieces: readonly string[] }>;
}

/** An answer with the serializers of its wire format: `unary` writes it whole, `frames` as the stream. */
export function pacedAnswer<C extends PacedChoices>(
  answer: C,
  request: { stream: boolean; includeUsage: boolean },
  unary: (answer: C) => string,
  frames: (answer: C, includeUsage: boolean) => StreamFrame[],
): PacedAnswer {
  return {
    stream: request.stream,
    longestChoice: answer.choices.reduce((longest, choice) => Math.max(longest, choice.pieces.length), 0),
    unaryBody: () => unary(answer),
    frames: () => frames(answer, request.includeUsage),
  };
}

export async function deliverPaced(
  ex: Exchange,
  state: EmulatorState,
  answer: PacedAnswer,
  remaining: Remaining,
  resetAfter: number | undefined,
): Promise<void> {
  const timing = state.timing;
  if (!answer.stream) {
    // A unary answer arrives when the stream would have finished: same generation time either way.
    await ex.pacer.sleep(timing.timeToFirstTokenMs + timing.chunkDelayMs * Math.max(0, answer.longestChoice - 1));
    return ex.json(200, answer.unaryBody(), remaining);
  }
  if (ex.gone) return;
  ex.head(200, SSE_CONTENT_TYPE, remaining);
  const pacing = { timeToFirstTokenMs: timing.timeToFirstTokenMs, chunkDelayMs: timing.chunkDelayMs, resetAfter, stampFirstToken: timing.stampFirstToken };
  const record = ex.record;
  const progress = (sent: number): void => {
    if (record) record.chunksSent = sent;
  };
  await writeStream(ex.res, answer.frames(), pacing, ex.pacer, () => ex.resetting(), progress);
}
