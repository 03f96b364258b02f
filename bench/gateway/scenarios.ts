// The requests every front door is sent: one small prompt, max_tokens 16, unary or streamed.

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
