// Policy steps composed around one terminal handler, as undici composes its interceptors.
import type { CallContext } from "./context.js";
import type { ChatRequest } from "./chat-request.js";
import type { EmbeddingsRequest } from "./embeddings-request.js";
import type { Result } from "./results.js";

export type Call =
  | { readonly op: "chat"; readonly request: ChatRequest }
  | { readonly op: "embeddings"; readonly request: EmbeddingsRequest }
  | { readonly op: "models" };

export type Handler = (call: Call, ctx: CallContext) => Promise<Result>;

/** A step wraps the rest of the chain: it may act before, after, or instead of calling `next`. */
export type Step = (next: Handler) => Handler;

/** compose([a, b], t) runs a, then b, then t. */
export function compose(steps: readonly Step[], terminal: Handler): Handler {
  return steps.reduceRight<Handler>((next, step) => step(next), terminal);
}

/** The model a call asks for, if it names one. */
export function modelOf(call: Call): string | undefined {
  return call.op === "models" ? undefined : call.request.model;
}
