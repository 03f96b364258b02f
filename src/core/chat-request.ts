// Validates an OpenAI chat body once, for both front doors; unknown fields pass through to Azure.
import { GatewayError, invalidArgument } from "./errors.js";
import { isArray, isObject, type JsonObject, type JsonValue } from "./json.js";
import { checkName } from "./names.js";
import {
  ABSURD_TOKENS,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalNumber,
  optionalObject,
  optionalString,
  refuseRoutingOverrides,
} from "./param-checks.js";

export interface ChatRequest {
  /** The requested model name or deployment id (validated: safe for any URL). */
  readonly model: string;
  /** The body as the client sent it; forwarded with only routing-required edits. */
  readonly body: JsonObject;
  readonly stream: boolean;
  /** Whether the client itself asked for the usage chunk. */
  readonly includeUsage: boolean;
  /** max_completion_tokens ?? max_tokens: the output cap the client set, if any. */
  readonly maxOutputTokens: number | undefined;
  readonly choices: number;
}

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;
const TOOL_CHOICE_MODES = ["none", "auto", "required"] as const;
const RESPONSE_FORMATS = ["text", "json_object", "json_schema"] as const;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_MESSAGES = 100_000;
const MAX_TOOLS = 128;

/** `pathDeployment` comes from Azure-style routes and wins over the body's `model`. */
export function parseChatRequest(input: unknown, pathDeployment?: string): ChatRequest {
  if (!isObject(input)) throw invalidArgument("body", "The request body must be a JSON object.");
  const body = input;
  refuseRoutingOverrides(body);
  const model = pathDeployment ?? requiredModel(body);
  checkName(model, pathDeployment === undefined ? "model" : "deployment");
  checkMessages(body.messages);

  const stream = optionalBoolean(body, "stream") ?? false;
  const streamOptions = optionalObject(body, "stream_options");
  if (streamOptions && !stream) {
    throw invalidArgument("stream_options", "'stream_options' is only allowed when 'stream' is true.");
  }
  const includeUsage = streamOptions ? optionalBoolean(streamOptions, "include_usage") ?? false : false;

  optionalNumber(body, "temperature", 0, 2);
  optionalNumber(body, "top_p", 0, 1);
  optionalNumber(body, "presence_penalty", -2, 2);
  optionalNumber(body, "frequency_penalty", -2, 2);
  const n = optionalInteger(body, "n", 1, 128) ?? 1;
  const maxTokens = optionalInteger(body, "max_tokens", 1, ABSURD_TOKENS);
  const maxCompletionTokens = optionalInteger(body, "max_completion_tokens", 1, ABSURD_TOKENS);
  optionalInteger(body, "top_logprobs", 0, 20);
  optionalInteger(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  optionalBoolean(body, "logprobs");
  optionalBoolean(body, "parallel_tool_calls");
  optionalBoolean(body, "store");
  optionalString(body, "user", 512);
  optionalString(body, "reasoning_effort", 32);
  checkStop(body.stop);
  checkLogitBias(body);
  checkMetadata(body);
  checkTools(body.tools);
  checkToolChoice(body.tool_choice);
  checkResponseFormat(body);

  return {
    model,
    body,
    stream,
    includeUsage,
    maxOutputTokens: maxCompletionTokens ?? maxTokens,
    choices: n,
  };
}

function requiredModel(body: JsonObject): string {
  const model = body.model;
  if (model === undefined || model === null || model === "") {
    throw new GatewayError("invalid_argument", "Missing required parameter: 'model'.", {
      param: "model",
      reason: "missing_required_parameter",
    });
  }
  if (typeof model !== "string") throw invalidArgument("model", "Invalid 'model': expected a string.");
  return model;
}

function checkMessages(messages: JsonValue | undefined): void {
  if (messages === undefined || messages === null) {
    throw new GatewayError("invalid_argument", "Missing required parameter: 'messages'.", {
      param: "messages",
      reason: "missing_required_parameter",
    });
  }
  if (!isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES) {
    throw invalidArgument("messages", `Invalid 'messages': expected an array of 1 to ${MAX_MESSAGES} messages.`);
  }
  messages.forEach((m, i) => checkMessage(m, `messages[${i}]`));
}

function checkMessage(m: JsonValue, at: string): void {
  if (!isObject(m)) throw invalidArgument(at, `Invalid '${at}': expected an object.`);
  const role = optionalEnum(m, "role", ROLES);
  if (role === undefined) throw invalidArgument(`${at}.role`, `Missing or invalid '${at}.role'.`);
  const content = m.content;
  const hasContent = typeof content === "string" || isArray(content);
  if (content !== undefined && content !== null && !hasContent) {
    throw invalidArgument(`${at}.content`, `Invalid '${at}.content': expected a string or an array of parts.`);
  }
  if (isArray(content)) {
    content.forEach((part, j) => {
      if (!isObject(part) || typeof part.type !== "string") {
        throw invalidArgument(`${at}.content[${j}]`, `Invalid '${at}.content[${j}]': expected an object with a 'type'.`);
      }
    });
  }
  if (role !== "assistant" && !hasContent) {
    throw invalidArgument(`${at}.content`, `Missing '${at}.content': ${role} messages need content.`);
  }
  if (role === "tool" && typeof m.tool_call_id !== "string") {
    throw invalidArgument(`${at}.tool_call_id`, `Missing '${at}.tool_call_id': tool messages answer a call.`);
  }
  if (m.tool_calls !== undefined && m.tool_calls !== null && !isArray(m.tool_calls)) {
    throw invalidArgument(`${at}.tool_calls`, `Invalid '${at}.tool_calls': expected an array.`);
  }
}

function checkStop(stop: JsonValue | undefined): void {
  if (stop === undefined || stop === null || typeof stop === "string") return;
  if (!isArray(stop) || stop.length > 4 || !stop.every((s) => typeof s === "string")) {
    throw invalidArgument("stop", "Invalid 'stop': expected a string or an array of up to 4 strings.");
  }
}

function checkLogitBias(body: JsonObject): void {
  const bias = optionalObject(body, "logit_bias");
  if (!bias) return;
  for (const v of Object.values(bias)) {
    if (typeof v !== "number" || !(v >= -100 && v <= 100)) {
      throw invalidArgument("logit_bias", "Invalid 'logit_bias': values must be numbers from -100 to 100.");
    }
  }
}

function checkMetadata(body: JsonObject): void {
  const metadata = optionalObject(body, "metadata");
  if (!metadata) return;
  const values = Object.values(metadata);
  if (values.length > 16 || !values.every((v) => typeof v === "string" && v.length <= 512)) {
    throw invalidArgument("metadata", "Invalid 'metadata': up to 16 string values of at most 512 characters.");
  }
}

function checkTools(tools: JsonValue | undefined): void {
  if (tools === undefined || tools === null) return;
  if (!isArray(tools) || tools.length > MAX_TOOLS) {
    throw invalidArgument("tools", `Invalid 'tools': expected an array of at most ${MAX_TOOLS} tools.`);
  }
  tools.forEach((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObject(tool) || tool.type !== "function" || !isObject(tool.function)) {
      throw invalidArgument(at, `Invalid '${at}': expected {"type":"function","function":{...}}.`);
    }
    const fn = tool.function;
    if (typeof fn.name !== "string" || !FUNCTION_NAME.test(fn.name)) {
      throw invalidArgument(`${at}.function.name`, `Invalid '${at}.function.name': 1-64 letters, digits, '_' or '-'.`);
    }
    optionalObject(fn, "parameters");
  });
}

function checkToolChoice(choice: JsonValue | undefined): void {
  if (choice === undefined || choice === null) return;
  if (typeof choice === "string") {
    if (!TOOL_CHOICE_MODES.some((m) => m === choice)) {
      throw invalidArgument("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a function.");
    }
    return;
  }
  if (!isObject(choice) || !isObject(choice.function) || typeof choice.function.name !== "string") {
    throw invalidArgument("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a function.");
  }
}

function checkResponseFormat(body: JsonObject): void {
  const format = optionalObject(body, "response_format");
  if (!format) return;
  const type = optionalEnum(format, "type", RESPONSE_FORMATS);
  if (type === undefined) throw invalidArgument("response_format.type", "Missing 'response_format.type'.");
  if (type === "json_schema" && !isObject(format.json_schema)) {
    throw invalidArgument("response_format.json_schema", "Missing 'response_format.json_schema'.");
  }
}
