// Validates a chat completions body the way Azure does and reduces it to what the answer depends on.
import { knowsNewFields } from "./api-versions.js";
import { isObject, type JsonObject } from "./json-body.js";
import { isReasoningModel } from "./models.js";
import {
  checkAll,
  COMPLETION_SAMPLING_RANGES,
  present,
  readBoolean,
  readFunctionName,
  readStreamOptions,
  type RangedParam,
} from "./param-checks.js";
import { chatPrompt, promptTokensFor, type PromptPiece } from "./tokens.js";
import { invalidType, invalidValue, missingParam, openAiError, unknownParam, WireError } from "./wire-errors.js";

export interface ChatPlan {
  stream: boolean;
  includeUsage: boolean;
  n: number;
  maxTokens: number | undefined;
  /** The tool the emulated model calls, if any. */
  tool: { name: string; parameters: unknown } | undefined;
  jsonMode: boolean;
  /** Builds what the model reads, in order, for the prompt cache (only long prompts need it); `promptTokens` is its size. */
  prompt: () => PromptPiece[];
  promptTokens: number;
}

export interface ChatContext {
  model: string;
  /** Classic api-version; undefined on v1 routes. */
  classicVersion: string | undefined;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
const RESPONSE_FORMATS = new Set(["text", "json_object", "json_schema"]);
/** Fields older classic api-versions reject as unknown rather than ignore. */
const NEW_FIELDS = ["stream_options", "max_completion_tokens"] as const;

const RANGES: readonly RangedParam[] = [
  ...COMPLETION_SAMPLING_RANGES,
  ["max_tokens", { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER }],
  ["max_completion_tokens", { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER }],
];

export function readChatRequest(body: JsonObject, ctx: ChatContext): ChatPlan | WireError {
  const messagesError = checkMessages(body.messages);
  if (messagesError) return messagesError;
  if (!knowsNewFields(ctx.classicVersion)) {
    for (const field of NEW_FIELDS) if (body[field] !== undefined) return unknownParam(field);
  }
  if (isReasoningModel(ctx.model) && present(body.max_tokens)) {
    return openAiError(
      400,
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      "max_tokens",
      "unsupported_parameter",
    );
  }
  const rangeError = checkAll(body, RANGES);
  if (rangeError) return rangeError;
  const streamFlag = readBoolean(body, "stream");
  if (streamFlag instanceof WireError) return streamFlag;
  const stream = streamFlag === true;

  const includeUsage = readStreamOptions(body.stream_options, stream);
  if (includeUsage instanceof WireError) return includeUsage;

  const jsonMode = readResponseFormat(body.response_format);
  if (jsonMode instanceof WireError) return jsonMode;
  const tool = chooseTool(body.tools, body.tool_choice);
  if (tool instanceof WireError) return tool;

  const limit = body.max_completion_tokens ?? body.max_tokens;
  return {
    stream,
    includeUsage,
    n: typeof body.n === "number" ? body.n : 1,
    maxTokens: typeof limit === "number" ? limit : undefined,
    tool,
    jsonMode,
    prompt: () => chatPrompt(body),
    promptTokens: promptTokensFor(body),
  };
}

function checkMessages(messages: unknown): WireError | undefined {
  if (!present(messages)) return missingParam("messages");
  if (!Array.isArray(messages)) return invalidType("messages", "an array", messages);
  if (messages.length === 0) {
    return openAiError(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isObject(message)) return invalidType(`messages[${i}]`, "an object", message);
    if (!present(message.role)) return missingParam(`messages[${i}].role`);
    // The value is not echoed: it is caller content and error bodies travel further than requests.
    if (typeof message.role !== "string" || !ROLES.has(message.role)) {
      return invalidValue(
        `messages[${i}].role`,
        "supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
      );
    }
  }
  return undefined;
}

/** True when the answer must be a JSON object. */
function readResponseFormat(format: unknown): boolean | WireError {
  if (!present(format)) return false;
  if (!isObject(format)) return invalidType("response_format", "an object", format);
  if (!present(format.type)) return missingParam("response_format.type");
  if (typeof format.type !== "string" || !RESPONSE_FORMATS.has(format.type)) {
    return invalidValue("response_format.type", "supported values are: 'text', 'json_object', and 'json_schema'.");
  }
  if (format.type === "json_schema" && !isObject(format.json_schema)) return missingParam("response_format.json_schema");
  return format.type !== "text";
}

function chooseTool(tools: unknown, choice: unknown): ChatPlan["tool"] | WireError {
  if (!present(tools)) {
    if (present(choice)) return invalidValue("tool_choice", "'tool_choice' is only allowed when 'tools' are specified.");
    return undefined;
  }
  if (!Array.isArray(tools)) return invalidType("tools", "an array", tools);
  if (tools.length === 0) {
    return openAiError(
      400,
      "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "tools",
      "empty_array",
    );
  }
  const declared: Array<{ name: string; parameters: unknown }> = [];
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (!isObject(tool)) return invalidType(`tools[${i}]`, "an object", tool);
    if (tool.type !== "function") return invalidValue(`tools[${i}].type`, "supported values are: 'function'.");
    if (!isObject(tool.function)) return missingParam(`tools[${i}].function`);
    const name = readFunctionName(`tools[${i}].function.name`, tool.function.name);
    if (name instanceof WireError) return name;
    declared.push({ name, parameters: tool.function.parameters });
  }
  if (choice === "none") return undefined;
  if (!present(choice) || choice === "auto" || choice === "required") return declared[0];
  const named = isObject(choice) && choice.type === "function" && isObject(choice.function) ? choice.function.name : undefined;
  if (typeof named !== "string") {
    return invalidValue("tool_choice", "expected 'none', 'auto', 'required' or {\"type\":\"function\",\"function\":{\"name\":...}}.");
  }
  const found = declared.find((t) => t.name === named);
  return found ?? invalidValue("tool_choice", "the named function is not one of the provided tools.");
}
