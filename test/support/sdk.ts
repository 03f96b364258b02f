// The official openai SDK pointed at a test gateway's OpenAI-style routes, without its own retries (a test sees every answer).
import OpenAI from "openai";

export function gatewaySdk(g: { readonly httpUrl: string; readonly apiKey: string }, apiKey = g.apiKey): OpenAI {
  return new OpenAI({ baseURL: `${g.httpUrl}/v1`, apiKey, maxRetries: 0 });
}
