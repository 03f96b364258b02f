// Validates a legacy completions body the way Azure does and reduces it to what the answer depends on.
import { knowsNewFields } from "./api-versions.js";
import { isObject, type JsonObject } from "./json-body.js";
import { checkAll, COMPLETION_SAMPLING_RANGES, present, readBoolean, readStreamOptions, readString, type RangedParam } from "./param-checks.js";
import { completionsPrompt, promptSize, type PromptPiece } from "./tokens.js";
import { invalidType, missingParam, openAiError, unknownParam, WireError } from "./wire-errors.js";

export interface CompletionsPlan {
  prompts: string[];
  stream: boolean;
  includeUsage: boolean;
  /** Choices per prompt. */
  n: number;
  maxTokens: number;
  echo: boolean;
  /** The prompts in order, for the prompt cache; `promptTokens` is their size. */
  prompt: PromptPiece[];
  promptTokens: number;
}

/** OpenAI's default for legacy completions: short answers unless asked otherwise. */
const DEFAULT_MAX_TOKENS = 16;
const MAX_STOP_SEQUENCES = 4;

const RANGES: readonly RangedParam[] = [
  ...COMPLETION_SAMPLING_RANGES,
  ["best_of", { integer: true, min: 1, max: 20 }],
  // 0 is allowed: with `echo` it asks for the prompt back and nothing else.
  ["max_tokens", { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }],
  ["logprobs", { integer: true, min: 0, max: 5 }],
  ["seed", { integer: true, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }],
];

export function readCompletionsRequest(body: JsonObject, classicVersion: string | undefined): CompletionsPlan | WireError {
  const prompts = readPrompts(body.prompt);
  if (prompts instanceof WireError) return prompts;
  if (!knowsNewFields(classicVersion) && body.stream_options !== undefined) return unknownParam("stream_options");
  const rangeError = checkAll(body, RANGES);
  if (rangeError) return rangeError;
  const n = typeof body.n === "number" ? body.n : 1;
  if (typeof body.best_of === "number" && body.best_of < n) {
    return openAiError(400, "best_of must be greater than or equal to n.", "best_of", "invalid_value");
  }

  const stream = readBoolean(body, "stream");
  if (stream instanceof WireError) return stream;
  const echo = readBoolean(body, "echo");
  if (echo instanceof WireError) return echo;
  const includeUsage = readStreamOptions(body.stream_options, stream === true);
  if (includeUsage instanceof WireError) return includeUsage;
  for (const field of ["suffix", "user"]) {
    const text = readString(body, field);
    if (text instanceof WireError) return text;
  }
  const stopError = checkStop(body.stop);
  if (stopError) return stopError;
  if (present(body.logit_bias) && !isObject(body.logit_bias)) return invalidType("logit_bias", "an object", body.logit_bias);

  const prompt = completionsPrompt(prompts);
  return {
    prompts,
    stream: stream === true,
    includeUsage,
    n,
    maxTokens: typeof body.max_tokens === "number" ? body.max_tokens : DEFAULT_MAX_TOKENS,
    echo: echo === true,
    prompt,
    promptTokens: promptSize(prompt),
  };
}

function readPrompts(prompt: unknown): string[] | WireError {
  if (!present(prompt)) return missingParam("prompt");
  if (typeof prompt === "string") return [prompt];
  if (!Array.isArray(prompt) || !prompt.every((p): p is string => typeof p === "string")) {
    return invalidType("prompt", "a string or an array of strings", prompt);
  }
  if (prompt.length === 0) {
    return openAiError(
      400,
      "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "prompt",
      "empty_array",
    );
  }
  return prompt;
}

function checkStop(stop: unknown): WireError | undefined {
  if (!present(stop) || typeof stop === "string") return undefined;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string")) return invalidType("stop", "a string or an array of strings", stop);
  if (stop.length > MAX_STOP_SEQUENCES) {
    return openAiError(
      400,
      `Invalid 'stop': array too long. Expected an array with maximum length ${MAX_STOP_SEQUENCES}, but got an array with length ${stop.length} instead.`,
      "stop",
      "array_above_max_length",
    );
  }
  return undefined;
}
