// Legacy text completions: limited and metered like chat; the prompt is what the reservation reads.
import { isArray, stringAt, type JsonObject, type JsonValue } from "../../core/json.js";
import type { Call, Operation, OperationInput } from "../../core/operation.js";
import { callOf } from "../call.js";
import { ABSURD_TOKENS, optionalInteger } from "../../core/param-checks.js";
import { usageOf } from "../../core/usage.js";
import { affinityKey } from "../affinity.js";
import { openAiStream, textKeys } from "../openai-stream.js";
import { apiVersionOf, bodyOf, missing, modelOf, streamFields } from "../request-fields.js";

// OpenAI's default when max_tokens is absent: the reservation must not assume more.
const DEFAULT_MAX_TOKENS = 16;

function parse(input: OperationInput): Call {
  const body = bodyOf(input);
  const model = modelOf(input, body);
  const apiVersion = apiVersionOf(input);
  if (body.prompt === undefined || body.prompt === null) throw missing("prompt");
  const { stream, includeUsage } = streamFields(body);
  const n = optionalInteger(body, "n", 1, 128) ?? 1;
  const maxTokens = optionalInteger(body, "max_tokens", 1, ABSURD_TOKENS) ?? DEFAULT_MAX_TOKENS;
  const prompts = isArray(body.prompt) ? Math.max(1, body.prompt.length) : 1;
  // n completions for each prompt.
  return callOf({ op: completions, model, body, raw: input.raw, stream, apiVersion, includeUsage, maxOutputTokens: maxTokens, choices: n * prompts });
}

function promptTexts(prompt: JsonValue | undefined): string[] {
  if (typeof prompt === "string") return [prompt];
  return isArray(prompt) ? prompt.filter((p): p is string => typeof p === "string") : [];
}

function choiceText(choice: JsonObject, out: string[]): void {
  const text = stringAt(choice, "text");
  if (text) out.push(text);
}

export const completions: Operation = {
  name: "completions",
  kind: "model",
  metering: "request",
  createsObjects: false,
  stream: openAiStream(choiceText, textKeys(["text"])),
  parse,
  upstream: (call) => ({
    method: "POST",
    scope: "deployment",
    path: "completions",
    query: [],
    body: call.body,
    raw: call.raw,
    stream: call.stream,
    apiVersion: call.apiVersion,
    askStreamUsage: call.stream,
  }),
  usage: usageOf,
  readsOnlyUsage: true,
  object: () => undefined,
  affinityKey: (call) => affinityKey(call.body, (body) => promptTexts(body.prompt)),
  outputCapParam: () => "max_tokens",
  roughPromptTokens: (call) => Math.ceil(promptTexts(call.body?.prompt).reduce((n, t) => n + t.length, 0) / 4) + 1,
  promptText: (call) => ({ texts: promptTexts(call.body?.prompt), overheadTokens: 0 }),
};
