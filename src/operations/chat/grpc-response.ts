// Azure's chat JSON answers -> gRPC response messages, read tolerantly (Azure adds and omits fields).
// Each message is built complete (every field the generated type requires), so no fromPartial copy follows.
import {
  FinishReason,
  ChatRole,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChunkChoice,
  type Choice,
  type ContentFilterDetection,
  type ContentFilterResults,
  type ContentFilterSeverity,
  type Logprobs,
  type PromptFilterResult,
  type TokenLogprob,
  type ToolCall,
  type ToolCallDelta,
  type Usage,
} from "../../../gen/aik/v1/chat.js";
import { isArray, intAt, objectAt, objectsIn, stringAt, type JsonObject, type JsonValue } from "../../core/json.js";

const FINISH: Readonly<Record<string, FinishReason>> = {
  stop: FinishReason.FINISH_REASON_STOP,
  length: FinishReason.FINISH_REASON_LENGTH,
  tool_calls: FinishReason.FINISH_REASON_TOOL_CALLS,
  content_filter: FinishReason.FINISH_REASON_CONTENT_FILTER,
  function_call: FinishReason.FINISH_REASON_FUNCTION_CALL,
};

/** A choice's finish_reason as the proto enum (chat and legacy completions share it). */
export function finishReasonOf(choice: JsonObject): FinishReason {
  return FINISH[stringAt(choice, "finish_reason") ?? ""] ?? FinishReason.FINISH_REASON_UNSPECIFIED;
}

const ROLE: Record<string, ChatRole> = {
  system: ChatRole.CHAT_ROLE_SYSTEM,
  developer: ChatRole.CHAT_ROLE_DEVELOPER,
  user: ChatRole.CHAT_ROLE_USER,
  assistant: ChatRole.CHAT_ROLE_ASSISTANT,
  tool: ChatRole.CHAT_ROLE_TOOL,
};

function num(o: JsonObject | undefined, key: string): number {
  const v = o?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export function chatCompletionFromJson(j: JsonObject): ChatCompletion {
  return {
    id: stringAt(j, "id") ?? "",
    object: stringAt(j, "object") ?? "",
    created: intAt(j, "created") ?? 0,
    model: stringAt(j, "model") ?? "",
    systemFingerprint: stringAt(j, "system_fingerprint") ?? "",
    choices: objectsIn(j.choices).map(choiceFromJson),
    usage: usageFromJson(objectAt(j, "usage")),
    promptFilterResults: promptFiltersFromJson(j.prompt_filter_results),
  };
}

export function chatChunkFromJson(j: JsonObject): ChatCompletionChunk {
  return {
    id: stringAt(j, "id") ?? "",
    object: stringAt(j, "object") ?? "",
    created: intAt(j, "created") ?? 0,
    model: stringAt(j, "model") ?? "",
    systemFingerprint: stringAt(j, "system_fingerprint") ?? "",
    choices: objectsIn(j.choices).map(chunkChoiceFromJson),
    usage: usageFromJson(objectAt(j, "usage")),
    promptFilterResults: promptFiltersFromJson(j.prompt_filter_results),
  };
}

function choiceFromJson(c: JsonObject): Choice {
  const m = objectAt(c, "message");
  const content = stringAt(m, "content");
  const refusal = stringAt(m, "refusal");
  return {
    index: intAt(c, "index") ?? 0,
    message: m
      ? {
          role: ROLE[stringAt(m, "role") ?? ""] ?? ChatRole.CHAT_ROLE_ASSISTANT,
          content: content === undefined ? undefined : { $case: "text", value: content },
          name: stringAt(m, "name") ?? "",
          toolCalls: objectsIn(m.tool_calls).map(toolCallFromJson),
          toolCallId: "",
          refusal: refusal ?? undefined,
        }
      : undefined,
    finishReason: finishReasonOf(c),
    logprobs: logprobsFromJson(objectAt(c, "logprobs")),
    contentFilterResults: filterResultsFromJson(objectAt(c, "content_filter_results")),
  };
}

function chunkChoiceFromJson(c: JsonObject): ChunkChoice {
  const d = objectAt(c, "delta");
  return {
    index: intAt(c, "index") ?? 0,
    delta: d
      ? {
          role: ROLE[stringAt(d, "role") ?? ""] ?? ChatRole.CHAT_ROLE_UNSPECIFIED,
          content: stringAt(d, "content"),
          refusal: stringAt(d, "refusal"),
          toolCalls: objectsIn(d.tool_calls).map(toolCallDeltaFromJson),
        }
      : undefined,
    finishReason: finishReasonOf(c),
    logprobs: logprobsFromJson(objectAt(c, "logprobs")),
    contentFilterResults: filterResultsFromJson(objectAt(c, "content_filter_results")),
  };
}

function toolCallFromJson(t: JsonObject): ToolCall {
  const f = objectAt(t, "function");
  return {
    id: stringAt(t, "id") ?? "",
    type: stringAt(t, "type") ?? "function",
    function: { name: stringAt(f, "name") ?? "", arguments: stringAt(f, "arguments") ?? "" },
  };
}

function toolCallDeltaFromJson(t: JsonObject): ToolCallDelta {
  const f = objectAt(t, "function");
  return {
    index: intAt(t, "index") ?? 0,
    id: stringAt(t, "id") ?? "",
    type: stringAt(t, "type") ?? "",
    function: f ? { name: stringAt(f, "name") ?? "", arguments: stringAt(f, "arguments") ?? "" } : undefined,
  };
}

export function usageFromJson(u: JsonObject | undefined): Usage | undefined {
  if (!u) return undefined;
  const p = objectAt(u, "prompt_tokens_details");
  const c = objectAt(u, "completion_tokens_details");
  return {
    promptTokens: intAt(u, "prompt_tokens") ?? 0,
    completionTokens: intAt(u, "completion_tokens") ?? 0,
    totalTokens: intAt(u, "total_tokens") ?? 0,
    promptTokensDetails: p ? { cachedTokens: intAt(p, "cached_tokens") ?? 0, audioTokens: intAt(p, "audio_tokens") ?? 0 } : undefined,
    completionTokensDetails: c
      ? {
          reasoningTokens: intAt(c, "reasoning_tokens") ?? 0,
          audioTokens: intAt(c, "audio_tokens") ?? 0,
          acceptedPredictionTokens: intAt(c, "accepted_prediction_tokens") ?? 0,
          rejectedPredictionTokens: intAt(c, "rejected_prediction_tokens") ?? 0,
        }
      : undefined,
  };
}

function logprobsFromJson(l: JsonObject | undefined): Logprobs | undefined {
  if (!l) return undefined;
  const token = (t: JsonObject): TokenLogprob => ({
    token: stringAt(t, "token") ?? "",
    logprob: num(t, "logprob"),
    bytes: isArray(t.bytes) ? t.bytes.filter((b): b is number => typeof b === "number") : [],
    topLogprobs: objectsIn(t.top_logprobs).map((x) => ({
      token: stringAt(x, "token") ?? "",
      logprob: num(x, "logprob"),
      bytes: isArray(x.bytes) ? x.bytes.filter((b): b is number => typeof b === "number") : [],
    })),
  });
  return { content: objectsIn(l.content).map(token), refusal: objectsIn(l.refusal).map(token) };
}

function promptFiltersFromJson(v: JsonValue | undefined): PromptFilterResult[] {
  return objectsIn(v).map((p) => ({
    promptIndex: intAt(p, "prompt_index") ?? 0,
    contentFilterResults: filterResultsFromJson(objectAt(p, "content_filter_results")),
  }));
}

function severity(o: JsonObject | undefined): ContentFilterSeverity | undefined {
  return o ? { filtered: o.filtered === true, severity: stringAt(o, "severity") ?? "" } : undefined;
}

function detection(o: JsonObject | undefined): ContentFilterDetection | undefined {
  return o ? { filtered: o.filtered === true, detected: o.detected === true } : undefined;
}

export function filterResultsFromJson(f: JsonObject | undefined): ContentFilterResults | undefined {
  if (!f) return undefined;
  const err = objectAt(f, "error");
  return {
    hate: severity(objectAt(f, "hate")),
    selfHarm: severity(objectAt(f, "self_harm")),
    sexual: severity(objectAt(f, "sexual")),
    violence: severity(objectAt(f, "violence")),
    jailbreak: detection(objectAt(f, "jailbreak")),
    indirectAttack: detection(objectAt(f, "indirect_attack")),
    protectedMaterialText: detection(objectAt(f, "protected_material_text")),
    protectedMaterialCode: detection(objectAt(f, "protected_material_code")),
    profanity: detection(objectAt(f, "profanity")),
    customBlocklists: objectsIn(f.custom_blocklists).map((b) => ({ id: stringAt(b, "id") ?? "", filtered: b.filtered === true })),
    error: err ? { code: stringAt(err, "code") ?? "", message: stringAt(err, "message") ?? "" } : undefined,
  };
}
