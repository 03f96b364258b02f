// gRPC request messages -> the OpenAI JSON body the core validates and forwards.
import {
  ReasoningEffort,
  ResponseFormat_Type,
  ChatRole,
  type ChatCompletionRequest,
  type ChatMessage,
  type ContentPart,
  type ToolChoice,
} from "../../../gen/aik/v1/chat.js";
import { invalidArgument } from "../../core/errors.js";
import type { JsonObject, JsonValue } from "../../core/json.js";
import { extraBody, put, structField } from "../struct-json.js";

const MODELED = new Set(["model", "messages", "stream"]);

const ROLE: Partial<Record<ChatRole, string>> = {
  [ChatRole.CHAT_ROLE_SYSTEM]: "system",
  [ChatRole.CHAT_ROLE_DEVELOPER]: "developer",
  [ChatRole.CHAT_ROLE_USER]: "user",
  [ChatRole.CHAT_ROLE_ASSISTANT]: "assistant",
  [ChatRole.CHAT_ROLE_TOOL]: "tool",
};

const EFFORT: Partial<Record<ReasoningEffort, string>> = {
  [ReasoningEffort.REASONING_EFFORT_NONE]: "none",
  [ReasoningEffort.REASONING_EFFORT_MINIMAL]: "minimal",
  [ReasoningEffort.REASONING_EFFORT_LOW]: "low",
  [ReasoningEffort.REASONING_EFFORT_MEDIUM]: "medium",
  [ReasoningEffort.REASONING_EFFORT_HIGH]: "high",
};

const FORMAT: Partial<Record<ResponseFormat_Type, string>> = {
  [ResponseFormat_Type.TYPE_TEXT]: "text",
  [ResponseFormat_Type.TYPE_JSON_OBJECT]: "json_object",
  [ResponseFormat_Type.TYPE_JSON_SCHEMA]: "json_schema",
};

export function chatBodyFromProto(r: ChatCompletionRequest, stream: boolean): JsonObject {
  // extra_body goes first so the typed fields below win (tools of a new type can travel in it alone).
  const body = extraBody(r.extraBody, MODELED);
  put(body, "model", r.model || undefined);
  body.messages = r.messages.map(messageJson);
  if (stream) {
    body.stream = true;
    if (r.streamOptions) body.stream_options = { include_usage: r.streamOptions.includeUsage };
  } else if (r.streamOptions) {
    throw invalidArgument("stream_options", "'stream_options' is only allowed on StreamChatCompletion.");
  }
  put(body, "temperature", r.temperature);
  put(body, "top_p", r.topP);
  put(body, "n", r.n);
  if (r.stop.length > 0) body.stop = r.stop;
  put(body, "max_tokens", r.maxTokens);
  put(body, "max_completion_tokens", r.maxCompletionTokens);
  put(body, "presence_penalty", r.presencePenalty);
  put(body, "frequency_penalty", r.frequencyPenalty);
  put(body, "logit_bias", structField(r.logitBias, "logit_bias"));
  put(body, "logprobs", r.logprobs);
  put(body, "top_logprobs", r.topLogprobs);
  put(body, "seed", r.seed);
  put(body, "user", r.user || undefined);
  if (r.tools.length > 0) {
    body.tools = r.tools.map((t, i) => {
      const fn = t.function;
      if (!fn) throw invalidArgument(`tools[${i}].function`, `Missing 'tools[${i}].function'.`);
      const f: JsonObject = { name: fn.name };
      put(f, "description", fn.description || undefined);
      put(f, "parameters", structField(fn.parameters, `tools[${i}].function.parameters`));
      put(f, "strict", fn.strict);
      return { type: t.type || "function", function: f };
    });
  }
  put(body, "tool_choice", toolChoiceJson(r.toolChoice));
  put(body, "parallel_tool_calls", r.parallelToolCalls);
  if (r.responseFormat) {
    const type = FORMAT[r.responseFormat.type];
    if (!type) throw invalidArgument("response_format.type", "Missing 'response_format.type'.");
    const format: JsonObject = { type };
    const schema = r.responseFormat.jsonSchema;
    if (schema) {
      const s: JsonObject = { name: schema.name };
      put(s, "description", schema.description || undefined);
      put(s, "schema", structField(schema.schema, "response_format.json_schema.schema"));
      put(s, "strict", schema.strict);
      format.json_schema = s;
    }
    body.response_format = format;
  }
  if (r.reasoningEffort !== ReasoningEffort.REASONING_EFFORT_UNSPECIFIED && EFFORT[r.reasoningEffort] === undefined) {
    throw invalidArgument("reasoning_effort", "Invalid 'reasoning_effort': not a known effort.");
  }
  put(body, "reasoning_effort", EFFORT[r.reasoningEffort]);
  put(body, "metadata", structField(r.metadata, "metadata"));
  put(body, "store", r.store);
  return body;
}

function messageJson(m: ChatMessage, i: number): JsonObject {
  const role = ROLE[m.role];
  if (!role) throw invalidArgument(`messages[${i}].role`, `Missing or invalid 'messages[${i}].role'.`);
  const out: JsonObject = { role };
  if (m.content?.$case === "text") out.content = m.content.value;
  if (m.content?.$case === "parts") out.content = m.content.value.parts.map((p, j) => partJson(p, `messages[${i}].content[${j}]`));
  put(out, "name", m.name || undefined);
  if (m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c) => ({
      id: c.id,
      type: c.type || "function",
      function: { name: c.function?.name ?? "", arguments: c.function?.arguments ?? "" },
    }));
  }
  put(out, "tool_call_id", m.toolCallId || undefined);
  put(out, "refusal", m.refusal);
  return out;
}

function partJson(p: ContentPart, at: string): JsonObject {
  const part = p.part;
  switch (part?.$case) {
    case "text":
      return { type: "text", text: part.value };
    case "refusal":
      return { type: "refusal", refusal: part.value };
    case "imageUrl": {
      const image: JsonObject = { url: part.value.url };
      put(image, "detail", part.value.detail || undefined);
      return { type: "image_url", image_url: image };
    }
    case "inputAudio":
      return { type: "input_audio", input_audio: { data: part.value.data, format: part.value.format } };
    case "file": {
      const file: JsonObject = {};
      put(file, "file_id", part.value.fileId || undefined);
      put(file, "file_data", part.value.fileData || undefined);
      put(file, "filename", part.value.filename || undefined);
      return { type: "file", file };
    }
    default:
      throw invalidArgument(at, `Invalid '${at}': a content part needs one of text, image_url, input_audio, file, refusal.`);
  }
}

function toolChoiceJson(c: ToolChoice | undefined): JsonValue | undefined {
  if (c?.choice?.$case === "mode") return c.choice.value;
  if (c?.choice?.$case === "functionName") return { type: "function", function: { name: c.choice.value } };
  return undefined;
}
