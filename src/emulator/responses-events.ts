// A response's SSE events, each stamped with the moment it happens, and their delivery live or replayed.
import type { Exchange } from "./exchange.js";
import type { JsonObject } from "./json-body.js";
import { addedItemJson, finishedStatus, itemJson, responseObject, textPart } from "./responses-object.js";
import type { ResponseRun } from "./responses-run.js";
import type { StoredResponse } from "./responses-store.js";
import { writeScheduled, type FrameKind, type TimedFrame } from "./stream-writer.js";

/**
 * Every event in order; the event at position i has `sequence_number` i. Content frames fall due on the
 * run's clock; every other event shares the time of the content frame before it (or the creation).
 * Events before the last content frame are "pre" and after it "post", as reset-mid-stream counts them.
 */
export function buildEvents(run: ResponseRun): TimedFrame[] {
  const events: TimedFrame[] = [];
  let frame = 0;
  let at = run.startedAt;
  const push = (kind: FrameKind, type: string, fields: JsonObject): void => {
    const data = JSON.stringify({ type, sequence_number: events.length, ...fields });
    events.push({ kind, at, data: `event: ${type}\ndata: ${data}\n\n` });
  };
  const quiet = (): FrameKind => (frame < run.contentFrames ? "pre" : "post");

  const opening = run.meta.background ? "queued" : "in_progress";
  push("pre", "response.created", { response: responseObject(run, { status: opening, emitted: undefined, usage: undefined }) });
  push("pre", "response.in_progress", { response: responseObject(run, { status: "in_progress", emitted: undefined, usage: undefined }) });
  run.answer.items.forEach((item, output_index) => {
    const item_id = item.id;
    push(quiet(), "response.output_item.added", { output_index, item: addedItemJson(item) });
    const whole = item.pieces.join("");
    if (item.kind === "message") {
      push(quiet(), "response.content_part.added", { item_id, output_index, content_index: 0, part: textPart("") });
      for (const delta of item.pieces) {
        at = run.frameAt(frame++);
        push("content", "response.output_text.delta", { item_id, output_index, content_index: 0, delta, logprobs: [] });
      }
      push(quiet(), "response.output_text.done", { item_id, output_index, content_index: 0, text: whole, logprobs: [] });
      push(quiet(), "response.content_part.done", { item_id, output_index, content_index: 0, part: textPart(whole) });
    } else if (item.kind === "function_call") {
      for (const delta of item.pieces) {
        at = run.frameAt(frame++);
        push("content", "response.function_call_arguments.delta", { item_id, output_index, delta });
      }
      push(quiet(), "response.function_call_arguments.done", { item_id, output_index, arguments: whole });
    }
    push(quiet(), "response.output_item.done", { output_index, item: itemJson(item, item.pieces.length, finishedStatus(item, run)) });
  });
  at = run.finishAt;
  const final = run.finalView;
  push("post", final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: responseObject(run, final) });
  return events;
}

/**
 * Sends the events after `after` at their times; a stored response's cancellation ends the stream
 * early, and nudges the writer so it does not wait for an event that will never come.
 */
export async function sendEvents(
  ex: Exchange,
  events: readonly TimedFrame[],
  stored: StoredResponse | undefined,
  after: number,
  resetAfter: number | undefined,
): Promise<void> {
  const record = ex.record;
  const unsubscribe = stored?.onCancel(() => ex.pacer.nudge());
  try {
    await writeScheduled(
      ex.res,
      events,
      { after, cutoff: () => stored?.cutoff ?? Infinity, resetAfter },
      ex.pacer,
      () => ex.resetting(),
      (sent) => {
        if (record) record.chunksSent = sent;
      },
    );
  } finally {
    unsubscribe?.();
  }
}
