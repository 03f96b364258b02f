// The requests every front door is sent: one small prompt, 16 output tokens, as a chat completion or a Responses call, unary or streamed.
import { NATURAL_COMPLETION_WORDS } from "../../src/emulator/tokens.js";

export const PROMPT = "Say hello in one short sentence.";
export const MAX_TOKENS = 16;
export const DEPLOYMENT = "gpt-4o";
/** The classic Azure route, which the emulator, the bare proxy and the gateway all serve: the same bytes go to each. */
export const AZURE_PATH = `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=2024-10-21`;

/** The HTTP body; streams ask for usage, as metering clients do, so every front door carries the same chunks. */
export function httpBody(stream: boolean): string {
  return JSON.stringify({
    messages: [{ role: "user", content: PROMPT }],
    max_tokens: MAX_TOKENS,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** Azure's classic Responses route (a preview api-version), served alike by the emulator, the bare proxy and the gateway. */
export const RESPONSES_PATH = "/openai/responses?api-version=2025-04-01-preview";

/** A Responses call with the same prompt and output size; its stream carries usage in its terminal event. */
export function responsesBody(stream: boolean): string {
  return JSON.stringify({ model: DEPLOYMENT, input: PROMPT, max_output_tokens: MAX_TOKENS, store: false, ...(stream ? { stream: true } : {}) });
}

/** What marks a complete answer: chat streams end with [DONE], Responses streams with their terminal event. */
export const COMPLETE = { chat: { unary: '"choices"', stream: "[DONE]" }, responses: { unary: '"output"', stream: "response.completed" } } as const;

/**
 * The TTFT scenario's stream: 20 content chunks 10 ms apart, the first 10 ms after the request (set on the emulator
 * through its timing control for that scenario only). `max_tokens` and `answerWords` both say 20, so none is cut short.
 * The emulator stamps each stream's first content chunk with its send time, so the load process also reads the chunk's
 * transit (what lies between the emulator's socket and the client's, free of the emulator's own timer jitter).
 */
export const PACED = { timing: { timeToFirstTokenMs: 10, chunkDelayMs: 10, answerWords: 20, stampFirstToken: true }, maxTokens: 20 } as const;

export function pacedBody(): string {
  return JSON.stringify({ messages: [{ role: "user", content: PROMPT }], max_tokens: PACED.maxTokens, stream: true, stream_options: { include_usage: true } });
}

/**
 * The first chat chunk that carries text: a delta whose content is not empty. The role chunk before it has
 * `"content":""` and does not match; neither do the prompt-filter event the emulator sends at once (before its time
 * to first token) nor the headers, which is why TTFB alone would not measure a time to first token.
 */
export const FIRST_TOKEN = String.raw`"delta":\{"content":"[^"]`;

/** The memory scenario's streams wait this long for their first token: far longer than they are held open. */
export const IDLE_TIMING = { timeToFirstTokenMs: 600_000, chunkDelayMs: 0 } as const;

/** The emulator as the throughput scenarios want it: no time to first token, no chunk delay, its natural answer length. */
export const NO_DELAYS = { timeToFirstTokenMs: 0, chunkDelayMs: 0, answerWords: NATURAL_COMPLETION_WORDS, stampFirstToken: false } as const;
