// Serializes a legacy completions answer as Azure sends it: one `text_completion` body, or data-only SSE events.
import { DONE_FRAME } from "./chat-wire.js";
import { CHOICE_FILTER, CHOICE_FILTER_JSON, promptFilterFrame, promptFilters } from "./content-filters.js";
import type { StreamFrame } from "./stream-writer.js";

export interface TextChoice {
  finishReason: "stop" | "length";
  /** Each piece is one billed token and one stream chunk; the echoed prompt, if any, rides on the first. */
  pieces: string[];
}

export interface TextCompletion {
  id: string;
  created: number;
  snapshot: string;
  prompts: number;
  /** Prompt-major: the choices of prompt p are at p*n .. p*n+n-1, as their `index`. */
  choices: readonly TextChoice[];
  /** Details only on a prompt-cache hit, so short prompts keep the shape instruct deployments send. */
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
}

export function unaryCompletionBody(c: TextCompletion): string {
  return JSON.stringify({
    id: c.id,
    object: "text_completion",
    created: c.created,
    model: c.snapshot,
    choices: c.choices.map((choice, index) => ({
      text: choice.pieces.join(""),
      index,
      logprobs: null,
      finish_reason: choice.finishReason,
      content_filter_results: CHOICE_FILTER,
    })),
    usage: c.usage,
    prompt_filter_results: promptFilters(c.prompts),
  });
}

/** Prompt filters first, then word chunks interleaved across choices, one finish chunk per choice, usage, [DONE]. */
export function completionFrames(c: TextCompletion, includeUsage: boolean): StreamFrame[] {
  const head = `data: {"id":${JSON.stringify(c.id)},"object":"text_completion","created":${c.created},"model":${JSON.stringify(c.snapshot)},`;
  const chunk = (text: string, index: number, finishReason: string | null, filterJson: string): string =>
    `${head}"choices":[{"text":${JSON.stringify(text)},"index":${index},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)},"content_filter_results":${filterJson}}]}\n\n`;
  const frames: StreamFrame[] = [{ kind: "pre", data: promptFilterFrame(c.prompts) }];

  const longest = Math.max(0, ...c.choices.map((choice) => choice.pieces.length));
  for (let at = 0; at < longest; at++) {
    c.choices.forEach((choice, index) => {
      const piece = choice.pieces[at];
      if (piece !== undefined) frames.push({ kind: "content", data: chunk(piece, index, null, CHOICE_FILTER_JSON) });
    });
  }
  c.choices.forEach((choice, index) => {
    frames.push({ kind: "post", data: chunk("", index, choice.finishReason, "{}") });
  });
  if (includeUsage) frames.push({ kind: "post", data: `${head}"choices":[],"usage":${JSON.stringify(c.usage)}}\n\n` });
  frames.push({ kind: "post", data: DONE_FRAME });
  return frames;
}
