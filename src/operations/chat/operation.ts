// Chat completions: what the gateway reads of a request, its answer and its stream; the rest is Azure's to judge.
import { invalidArgument } from "../../core/errors.js";
import { isArray, isObject, jsonText, stringAt, type JsonObject } from "../../core/json.js";
import type { Call, Operation, OperationInput } from "../../core/operation.js";
import { callOf } from "../call.js";
import { ABSURD_TOKENS, optionalInteger } from "../../core/param-checks.js";
import { usageOf } from "../../core/usage.js";
import { affinityKey, contentText } from "../affinity.js";
import { openAiStream, textKeys } from "../openai-stream.js";
import { apiVersionOf, bodyOf, missing, modelOf, streamFields } from "../request-fields.js";
import { chatPromptText, roughChatPromptTokens } from "./prompt.js";

const MAX_MESSAGES = 100_000;

/**
 * Validated: the model, stream and stream_options, the output caps and `n` (the reservation
 * multiplies by them), and that `messages` is a list (the reservation reads it). New tool types,
 * content parts, tool_choice forms and parameters pass untouched; Azure answers for them.
 */
function parse(input: OperationInput): Call {
  const body = bodyOf(input);
  const model = modelOf(input, body);
  const apiVersion = apiVersionOf(input);
  const messages = body.messages;
  if (messages === undefined || messages === null) throw missing("messages");
  if (!isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES) {
    throw invalidArgument("messages", `Invalid 'messages': expected an array of 1 to ${MAX_MESSAGES} messages.`);
  }
  const { stream, includeUsage } = streamFields(body);
  const n = optionalInteger(body, "n", 1, 128) ?? 1;
  const maxTokens = optionalInteger(body, "max_tokens", 1, ABSURD_TOKENS);
  const maxCompletionTokens = optionalInteger(body, "max_completion_tokens", 1, ABSURD_TOKENS);
  return callOf({ op: chatCompletions, model, body, raw: input.raw, stream, apiVersion, includeUsage, maxOutputTokens: maxCompletionTokens ?? maxTokens, choices: n });
}

const DELTA_TEXTS = ["content", "refusal"] as const;
const CALL_TEXTS = ["name", "arguments"] as const;

function deltaText(choice: JsonObject, out: string[]): void {
  const delta = choice.delta;
  if (!isObject(delta)) return;
  for (const key of DELTA_TEXTS) {
    const text = stringAt(delta, key);
    if (text) out.push(text);
  }
  if (isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls) {
      if (!isObject(call) || !isObject(call.function)) continue;
      for (const key of CALL_TEXTS) {
        const text = stringAt(call.function, key);
        if (text) out.push(text);
      }
    }
  }
}

export const chatCompletions: Operation = {
  name: "chat.completions",
  kind: "model",
  metering: "request",
  createsObjects: false,
  stream: openAiStream(deltaText, textKeys([...DELTA_TEXTS, ...CALL_TEXTS])),
  parse,
  upstream: (call) => ({
    method: "POST",
    scope: "deployment",
    path: "chat/completions",
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
  // Azure renders tools before messages: both lead the cached prefix.
  affinityKey: (call) =>
    affinityKey(call.body, function* (body) {
      if (isArray(body.tools)) yield jsonText(body.tools, "tools");
      if (isArray(body.messages)) for (const m of body.messages) if (isObject(m)) yield* contentText(m.content);
    }),
  outputCapParam: (call) => (call.body?.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens"),
  roughPromptTokens: roughChatPromptTokens,
  promptText: chatPromptText,
};
