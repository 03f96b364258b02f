// Serializes a chat answer exactly as Azure puts it on the wire: one JSON body, or the SSE event sequence.
import type { ChoiceAnswer, FullUsage } from "./chat-answer.js";
import { CHOICE_FILTER, CHOICE_FILTER_JSON, promptFilterFrame, promptFilters } from "./content-filters.js";
import type { StreamFrame } from "./stream-writer.js";

export interface Completion {
  id: string;
  created: number;
  snapshot: string;
  fingerprint: string;
  choices: readonly ChoiceAnswer[];
  usage: FullUsage;
}

const PROMPT_FILTER = promptFilters(1);
const PROMPT_FILTER_FRAME = promptFilterFrame(1);
export const DONE_FRAME = "data: [DONE]\n\n";

export function unaryBody(c: Completion): string {
  return JSON.stringify({
    choices: c.choices.map((choice, index) => ({
      content_filter_results: choice.toolCall ? {} : CHOICE_FILTER,
      finish_reason: choice.finishReason,
      index,
      logprobs: null,
      message: choice.toolCall
        ? {
            annotations: [],
            content: null,
            refusal: null,
            role: "assistant",
            tool_calls: [
              { function: { arguments: choice.toolCall.arguments, name: choice.toolCall.name }, id: choice.toolCall.id, type: "function" },
            ],
          }
        : { annotations: [], content: choice.pieces.join(""), refusal: null, role: "assistant" },
    })),
    created: c.created,
    id: c.id,
    model: c.snapshot,
    object: "chat.completion",
    prompt_filter_results: PROMPT_FILTER,
    system_fingerprint: c.fingerprint,
    usage: c.usage,
  });
}

/** Every event in order; choices of n > 1 interleave chunk by chunk, as Azure sends them. */
export function streamFrames(c: Completion, includeUsage: boolean): StreamFrame[] {
  // Chunks differ only in their choice, so the shared tail is built once per request.
  const tail = `],"created":${c.created},"id":${JSON.stringify(c.id)},"model":${JSON.stringify(c.snapshot)},"object":"chat.completion.chunk","system_fingerprint":${JSON.stringify(c.fingerprint)}}\n\n`;
  const chunk = (choice: string): string => `data: {"choices":[${choice}${tail}`;
  const frames: StreamFrame[] = [{ kind: "pre", data: PROMPT_FILTER_FRAME }];

  c.choices.forEach((choice, index) => {
    const delta = choice.toolCall
      ? {
          content: null,
          refusal: null,
          role: "assistant",
          tool_calls: [{ function: { arguments: "", name: choice.toolCall.name }, id: choice.toolCall.id, index: 0, type: "function" }],
        }
      : { content: "", refusal: null, role: "assistant" };
    frames.push({ kind: "pre", data: chunk(choiceJson("{}", delta, null, index)) });
  });

  const longest = Math.max(0, ...c.choices.map((choice) => choice.pieces.length));
  for (let at = 0; at < longest; at++) {
    c.choices.forEach((choice, index) => {
      const piece = choice.pieces[at];
      if (piece === undefined) return;
      const json = choice.toolCall
        ? choiceJson("{}", { tool_calls: [{ function: { arguments: piece }, index: 0 }] }, null, index)
        : choiceJson(CHOICE_FILTER_JSON, { content: piece }, null, index);
      frames.push({ kind: "content", data: chunk(json) });
    });
  }

  c.choices.forEach((choice, index) => {
    frames.push({ kind: "post", data: chunk(choiceJson("{}", {}, choice.finishReason, index)) });
  });
  if (includeUsage) {
    frames.push({ kind: "post", data: `data: {"choices":[],"usage":${JSON.stringify(c.usage)}${tail.slice(1)}` });
  }
  frames.push({ kind: "post", data: DONE_FRAME });
  return frames;
}

function choiceJson(filterJson: string, delta: object, finishReason: string | null, index: number): string {
  return `{"content_filter_results":${filterJson},"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finishReason)},"index":${index},"logprobs":null}`;
}
