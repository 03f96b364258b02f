// One response from creation to its end: its fixed answer, and what it shows at any moment on the emulator's clock.
import type { Usage } from "./api.js";
import { answerChoices } from "./chat-answer.js";
import { itemId } from "./responses-input.js";
import type { ResponseEcho, ResponsesPlan } from "./responses-request.js";
import { REASONING_TOKENS_PER_CHOICE } from "./tokens.js";

export interface OutputItem {
  kind: "reasoning" | "message" | "function_call";
  id: string;
  /** Text deltas or argument fragments: each is one output token and one paced stream frame. */
  pieces: readonly string[];
  call?: { callId: string; name: string };
}

export interface TokenUsage {
  input: number;
  cached: number;
  /** Reasoning tokens included. */
  output: number;
  reasoning: number;
}

export type ResponseStatus = "queued" | "in_progress" | "completed" | "incomplete" | "cancelled";

export interface ResponseView {
  status: ResponseStatus;
  /** Content frames generated so far; undefined shows no output at all (the opening events, a queued answer). */
  emitted: number | undefined;
  usage: TokenUsage | undefined;
}

export interface ResponseMeta {
  id: string;
  /** Unix seconds, as `created_at`. */
  createdAt: number;
  background: boolean;
  /** The snapshot, never the deployment name. */
  model: string;
  echo: ResponseEcho;
}

export interface ResponseAnswer {
  items: readonly OutputItem[];
  /** `max_output_tokens` cut the words short. */
  incomplete: boolean;
  inputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
}

export const QUEUED: ResponseView = { status: "queued", emitted: undefined, usage: undefined };

/** The same words, tool call and costs chat would give for this input; reasoning models think first. */
export function answerResponse(plan: ResponsesPlan, reasoning: boolean, naturalWords: number, cachedTokens: number): ResponseAnswer {
  const answerPlan = { n: 1, maxTokens: plan.maxOutputTokens, tool: plan.tool, jsonMode: plan.jsonMode, promptTokens: plan.inputTokens };
  const [choice] = answerChoices(answerPlan, naturalWords);
  const items: OutputItem[] = [];
  if (reasoning) items.push({ kind: "reasoning", id: itemId("rs"), pieces: [] });
  const pieces = choice?.pieces ?? [];
  if (choice?.toolCall) {
    items.push({ kind: "function_call", id: itemId("fc"), pieces, call: { callId: choice.toolCall.id, name: choice.toolCall.name } });
  } else {
    items.push({ kind: "message", id: itemId("msg"), pieces });
  }
  return {
    items,
    incomplete: choice?.finishReason === "length",
    inputTokens: plan.inputTokens,
    cachedTokens,
    reasoningTokens: reasoning ? REASONING_TOKENS_PER_CHOICE : 0,
  };
}

export class ResponseRun {
  /** Paced frames: text deltas or argument fragments. */
  readonly contentFrames: number;
  /** When the terminal event is due: the last content frame's time. */
  readonly finishAt: number;
  readonly finalView: ResponseView;
  /** What the whole run bills. */
  readonly finalUsage: TokenUsage;
  private readonly firstFrameAt: number;
  private readonly chunkDelayMs: number;

  /** The timing in force at creation governs the whole run, whatever changes later. */
  constructor(
    readonly meta: ResponseMeta,
    readonly answer: ResponseAnswer,
    readonly startedAt: number,
    timing: { timeToFirstTokenMs: number; chunkDelayMs: number },
  ) {
    this.contentFrames = answer.items.reduce((sum, item) => sum + item.pieces.length, 0);
    this.chunkDelayMs = timing.chunkDelayMs;
    this.firstFrameAt = startedAt + timing.timeToFirstTokenMs;
    this.finishAt = this.frameAt(Math.max(0, this.contentFrames - 1));
    this.finalUsage = this.usage(this.contentFrames);
    this.finalView = { status: answer.incomplete ? "incomplete" : "completed", emitted: this.contentFrames, usage: this.finalUsage };
  }

  frameAt(index: number): number {
    return this.firstFrameAt + this.chunkDelayMs * index;
  }

  /** Content frames due by `time`. */
  framesBy(time: number): number {
    if (time < this.firstFrameAt) return 0;
    if (this.chunkDelayMs <= 0) return this.contentFrames;
    return Math.min(this.contentFrames, Math.floor((time - this.firstFrameAt) / this.chunkDelayMs) + 1);
  }

  /** In progress from creation (never "queued" once created), then final; or frozen at its cancellation. */
  viewAt(now: number, cancelledAt: number | undefined): ResponseView {
    if (cancelledAt !== undefined) {
      const emitted = this.framesBy(cancelledAt);
      return { status: "cancelled", emitted, usage: this.usage(emitted) };
    }
    if (now >= this.finishAt) return this.finalView;
    return { status: "in_progress", emitted: this.framesBy(now), usage: undefined };
  }

  /** The reasoning item is done at creation, before any content, so every view bills all of it. */
  private usage(emitted: number): TokenUsage {
    const a = this.answer;
    return { input: a.inputTokens, cached: a.cachedTokens, output: emitted + a.reasoningTokens, reasoning: a.reasoningTokens };
  }
}

/** The request log's and the control handle's shape: input as prompt, output as completion. */
export function publicUsage(u: TokenUsage): Usage {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    cached_tokens: u.cached,
    reasoning_tokens: u.reasoning,
  };
}
