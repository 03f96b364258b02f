// The requests every front door is sent: one small prompt, 16 output tokens, as a chat completion or a Responses call, unary or streamed.

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
