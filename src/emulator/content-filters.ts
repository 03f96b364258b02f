// Azure's content-filter annotations on answers that passed: per choice and per prompt, chat and legacy completions alike.

const SAFE = { filtered: false, severity: "safe" } as const;

export const CHOICE_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
export const CHOICE_FILTER_JSON = JSON.stringify(CHOICE_FILTER);

const PROMPT_FILTER_RESULTS = { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE };

/** One entry per prompt: chat has one, legacy completions one per string in `prompt`. */
export function promptFilters(prompts: number): Array<{ prompt_index: number; content_filter_results: typeof PROMPT_FILTER_RESULTS }> {
  return Array.from({ length: prompts }, (_, prompt_index) => ({ prompt_index, content_filter_results: PROMPT_FILTER_RESULTS }));
}

/** Azure's first stream event: no id, no model, created 0; it breaks clients that index choices[0]. */
export function promptFilterFrame(prompts: number): string {
  return `data: ${JSON.stringify({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: promptFilters(prompts) })}\n\n`;
}
