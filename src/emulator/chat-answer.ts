// Decides what the emulated model answers: words, a JSON object, or a tool call, and what it costs.
import { randomBytes } from "node:crypto";
import type { ChatPlan } from "./chat-request.js";
import { isObject } from "./json-body.js";
import { completionWords, NATURAL_COMPLETION_WORDS, REASONING_TOKENS_PER_CHOICE } from "./tokens.js";

export interface ChoiceAnswer {
  finishReason: "stop" | "length" | "tool_calls";
  /** Content fragments, or argument fragments of the tool call; each is one billed token and one stream chunk. */
  pieces: string[];
  toolCall?: { id: string; name: string; arguments: string };
}

export interface FullUsage {
  completion_tokens: number;
  completion_tokens_details: {
    accepted_prediction_tokens: number;
    audio_tokens: number;
    reasoning_tokens: number;
    rejected_prediction_tokens: number;
  };
  prompt_tokens: number;
  prompt_tokens_details: { audio_tokens: number; cached_tokens: number };
  total_tokens: number;
}

/** What the answer depends on; the Responses API fills it from its own request fields. */
type AnswerPlan = Pick<ChatPlan, "n" | "maxTokens" | "tool" | "jsonMode" | "promptTokens">;

const ARGUMENT_FRAGMENT_CHARS = 6;

export function answerChoices(plan: AnswerPlan, naturalWords = NATURAL_COMPLETION_WORDS): ChoiceAnswer[] {
  const answers: ChoiceAnswer[] = [];
  const wordCount = Math.min(plan.maxTokens ?? naturalWords, naturalWords);
  const finishReason = wordCount < naturalWords ? "length" : "stop";
  for (let i = 0; i < plan.n; i++) {
    if (plan.tool) {
      const args = JSON.stringify(placeholderArguments(plan.tool.parameters));
      const pieces: string[] = [];
      for (let at = 0; at < args.length; at += ARGUMENT_FRAGMENT_CHARS) pieces.push(args.slice(at, at + ARGUMENT_FRAGMENT_CHARS));
      answers.push({ finishReason: "tool_calls", pieces, toolCall: { id: `call_${randomId(24)}`, name: plan.tool.name, arguments: args } });
      continue;
    }
    const words = completionWords(plan.promptTokens, i, wordCount);
    answers.push({ finishReason, pieces: plan.jsonMode ? jsonPieces(words) : textPieces(words) });
  }
  return answers;
}

export function usageFor(plan: ChatPlan, choices: readonly ChoiceAnswer[], reasoning: boolean, cachedTokens: number): FullUsage {
  const reasoningTokens = reasoning ? REASONING_TOKENS_PER_CHOICE * choices.length : 0;
  let completion = reasoningTokens;
  for (const choice of choices) completion += choice.pieces.length;
  return {
    completion_tokens: completion,
    completion_tokens_details: {
      accepted_prediction_tokens: 0,
      audio_tokens: 0,
      reasoning_tokens: reasoningTokens,
      rejected_prediction_tokens: 0,
    },
    prompt_tokens: plan.promptTokens,
    prompt_tokens_details: { audio_tokens: 0, cached_tokens: cachedTokens },
    total_tokens: plan.promptTokens + completion,
  };
}

/** Base62 like Azure's ids; `chatcmpl-` ids have 29 characters after the prefix. */
export function randomId(length: number): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += alphabet.charAt(byte % 62);
  return out;
}

function textPieces(words: readonly string[]): string[] {
  return words.map((word, i) => (i === 0 ? word : ` ${word}`));
}

/** Split so that the concatenation is one valid object and each piece carries one word. */
function jsonPieces(words: readonly string[]): string[] {
  const pieces = words.map((word, i) => (i === 0 ? `{"result":"ok","words":["${word}"` : `,"${word}"`));
  const last = pieces.length - 1;
  pieces[last] = `${pieces[last] ?? ""}]}`;
  return pieces;
}

/** Arguments shaped by the tool's JSON schema, with fixed placeholder values per declared type. */
function placeholderArguments(parameters: unknown): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (!isObject(parameters) || !isObject(parameters.properties)) return args;
  for (const [name, schema] of Object.entries(parameters.properties)) args[name] = placeholderFor(schema);
  return args;
}

function placeholderFor(schema: unknown): unknown {
  if (!isObject(schema)) return "Paris";
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case "integer":
      return 1;
    case "number":
      return 1.5;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return {};
    case "null":
      return null;
    default:
      return "Paris";
  }
}
