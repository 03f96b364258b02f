// The Responses API objects on the wire: a response at any stage, its output items and its usage.
import type { JsonObject } from "./json-body.js";
import type { OutputItem, ResponseRun, ResponseStatus, ResponseView, TokenUsage } from "./responses-run.js";

type ItemStatus = "in_progress" | "completed" | "incomplete";

export function responseBody(run: ResponseRun, view: ResponseView): string {
  return JSON.stringify(responseObject(run, view));
}

/** Keys in the order OpenAI sends them. */
export function responseObject(run: ResponseRun, view: ResponseView): JsonObject {
  const { meta } = run;
  const echo = meta.echo;
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: view.status,
    background: meta.background,
    error: null,
    incomplete_details: view.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model: meta.model,
    output: view.emitted === undefined ? [] : outputAt(run, view.emitted, view.status),
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: echo.reasoning,
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: echo.truncation,
    usage: view.usage === undefined ? null : usageJson(view.usage),
    user: echo.user,
    metadata: echo.metadata,
  };
}

/**
 * Items finished by the `emitted`-th content frame, then the one being generated (cut short when
 * cancelled); items not yet begun are absent, as in the stream.
 */
function outputAt(run: ResponseRun, emitted: number, status: ResponseStatus): JsonObject[] {
  const out: JsonObject[] = [];
  let left = emitted;
  for (const item of run.answer.items) {
    const taken = Math.min(item.pieces.length, left);
    left -= taken;
    if (taken === item.pieces.length) {
      out.push(itemJson(item, taken, finishedStatus(item, run)));
      continue;
    }
    out.push(itemJson(item, taken, status === "cancelled" ? "incomplete" : "in_progress"));
    break;
  }
  return out;
}

export function finishedStatus(item: OutputItem, run: ResponseRun): ItemStatus {
  return item.kind === "message" && run.answer.incomplete ? "incomplete" : "completed";
}

/** An item with its first `taken` pieces. */
export function itemJson(item: OutputItem, taken: number, status: ItemStatus): JsonObject {
  const soFar = item.pieces.slice(0, taken).join("");
  switch (item.kind) {
    case "reasoning":
      return { id: item.id, type: "reasoning", summary: [] };
    case "message":
      return { id: item.id, type: "message", status, role: "assistant", content: [textPart(soFar)] };
    case "function_call":
      return { id: item.id, type: "function_call", status, call_id: item.call?.callId, name: item.call?.name, arguments: soFar };
  }
}

/** As `response.output_item.added` shows it: nothing generated, no content part yet. */
export function addedItemJson(item: OutputItem): JsonObject {
  if (item.kind === "message") return { id: item.id, type: "message", status: "in_progress", role: "assistant", content: [] };
  return itemJson(item, 0, "in_progress");
}

export function textPart(text: string): JsonObject {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

export function usageJson(u: TokenUsage): JsonObject {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}
