// Validates a Responses API create body the way Azure does and reduces it to what the answer depends on.
import { isObject, type JsonObject } from "./json-body.js";
import { checkAll, present, readBoolean, readFunctionName, readString, SAMPLING_RANGES, type RangedParam } from "./param-checks.js";
import { readInput, type ResponseInput } from "./responses-input.js";
import { responseInputTokensFor, responsesPrompt, type PromptPiece } from "./tokens.js";
import {
  invalidType,
  invalidValue,
  missingParam,
  openAiError,
  previousResponseNotFound,
  unknownParam,
  WireError,
} from "./wire-errors.js";

/** Every top-level field Azure's Responses API knows; anything else is rejected, never ignored. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "model", "input", "instructions", "stream", "stream_options", "background", "store", "previous_response_id",
  "conversation", "prompt", "max_output_tokens", "max_tool_calls", "tools", "tool_choice", "parallel_tool_calls",
  "text", "reasoning", "include", "metadata", "temperature", "top_p", "top_logprobs", "user", "safety_identifier",
  "prompt_cache_key", "service_tier", "truncation",
]);

/** Below this Azure refuses `max_output_tokens`: a reasoning model could not say anything. */
const MIN_OUTPUT_TOKENS = 16;

const RANGES: readonly RangedParam[] = [
  ["max_output_tokens", { integer: true, min: MIN_OUTPUT_TOKENS, max: Number.MAX_SAFE_INTEGER }],
  ...SAMPLING_RANGES,
  ["top_logprobs", { integer: true, min: 0, max: 20 }],
  ["max_tool_calls", { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER }],
];

/** The request fields a response object repeats back, in its own spelling. */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: unknown; summary: unknown };
  store: boolean;
  temperature: number;
  text: unknown;
  tool_choice: unknown;
  tools: unknown[];
  top_p: number;
  truncation: unknown;
  user: string | null;
  metadata: unknown;
}

export interface ResponsesPlan {
  stream: boolean;
  background: boolean;
  store: boolean;
  input: ResponseInput;
  /** Builds what the model reads, in order, for the prompt cache (only long prompts need it); `inputTokens` is its size. */
  prompt: () => PromptPiece[];
  inputTokens: number;
  maxOutputTokens: number | undefined;
  /** The function the emulated model calls, if any. */
  tool: { name: string; parameters: unknown } | undefined;
  jsonMode: boolean;
  echo: ResponseEcho;
}

export interface ResponsesContext {
  reasoningModel: boolean;
  /** input + output tokens of a stored response, or undefined when no such response is stored. */
  previousTokens: (id: string) => number | undefined;
}

export function readResponsesRequest(body: JsonObject, ctx: ResponsesContext): ResponsesPlan | WireError {
  for (const field of Object.keys(body)) if (!KNOWN_FIELDS.has(field)) return unknownParam(field);
  const flags: Record<string, boolean | undefined> = {};
  for (const field of ["stream", "background", "store", "parallel_tool_calls"]) {
    const flag = readBoolean(body, field);
    if (flag instanceof WireError) return flag;
    flags[field] = flag;
  }
  const background = flags.background === true;
  const store = flags.store !== false;
  if (background && !store) {
    return openAiError(400, "Background mode requires 'store' to be true.", "background", "invalid_value");
  }
  const texts: Record<string, string | undefined> = {};
  for (const field of ["instructions", "previous_response_id", "user", "safety_identifier", "prompt_cache_key"]) {
    const text = readString(body, field);
    if (text instanceof WireError) return text;
    texts[field] = text;
  }
  const rangeError = checkAll(body, RANGES) ?? checkShapes(body);
  if (rangeError) return rangeError;
  const jsonMode = readTextFormat(body.text);
  if (jsonMode instanceof WireError) return jsonMode;
  const input = readInput(body.input);
  if (input instanceof WireError) return input;
  const tool = chooseTool(body.tools, body.tool_choice, input.endsWithToolOutput);
  if (tool instanceof WireError) return tool;

  const previousId = texts.previous_response_id;
  let previousTokens = 0;
  if (previousId !== undefined) {
    const tokens = ctx.previousTokens(previousId);
    if (tokens === undefined) return previousResponseNotFound(previousId);
    previousTokens = tokens;
  }
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  return {
    stream: flags.stream === true,
    background,
    store,
    input,
    prompt: () => responsesPrompt(body, previousTokens),
    inputTokens: responseInputTokensFor(body, previousTokens),
    maxOutputTokens: typeof body.max_output_tokens === "number" ? body.max_output_tokens : undefined,
    tool,
    jsonMode,
    echo: {
      instructions: texts.instructions ?? null,
      max_output_tokens: typeof body.max_output_tokens === "number" ? body.max_output_tokens : null,
      parallel_tool_calls: flags.parallel_tool_calls ?? true,
      previous_response_id: previousId ?? null,
      // o-series models think at "medium" effort unless told otherwise; other models do not reason.
      reasoning: { effort: reasoning.effort ?? (ctx.reasoningModel ? "medium" : null), summary: reasoning.summary ?? null },
      store,
      temperature: typeof body.temperature === "number" ? body.temperature : 1,
      text: isObject(body.text) && isObject(body.text.format) ? body.text : { format: { type: "text" } },
      tool_choice: body.tool_choice ?? "auto",
      tools: Array.isArray(body.tools) ? body.tools : [],
      top_p: typeof body.top_p === "number" ? body.top_p : 1,
      truncation: body.truncation ?? "disabled",
      user: texts.user ?? null,
      metadata: isObject(body.metadata) ? body.metadata : {},
    },
  };
}

/** Fields whose content the emulator ignores but whose shape Azure still checks. */
function checkShapes(body: JsonObject): WireError | undefined {
  for (const field of ["metadata", "reasoning", "stream_options", "conversation", "prompt"]) {
    const value = body[field];
    // `conversation` may also be a conversation id.
    if (present(value) && !isObject(value) && !(field === "conversation" && typeof value === "string")) {
      return invalidType(field, "an object", value);
    }
  }
  if (present(body.include) && (!Array.isArray(body.include) || !body.include.every((i) => typeof i === "string"))) {
    return invalidType("include", "an array of strings", body.include);
  }
  if (present(body.truncation) && body.truncation !== "auto" && body.truncation !== "disabled") {
    return invalidValue("truncation", "supported values are: 'auto' and 'disabled'.");
  }
  return undefined;
}

/** True when the answer must be JSON (`json_object` or `json_schema`). */
function readTextFormat(text: unknown): boolean | WireError {
  if (!present(text)) return false;
  if (!isObject(text)) return invalidType("text", "an object", text);
  const format = text.format;
  if (!present(format)) return false;
  if (!isObject(format)) return invalidType("text.format", "an object", format);
  if (!present(format.type)) return missingParam("text.format.type");
  if (format.type === "text") return false;
  if (format.type === "json_object") return true;
  if (format.type === "json_schema") {
    if (typeof format.name !== "string") return missingParam("text.format.name");
    return isObject(format.schema) ? true : missingParam("text.format.schema");
  }
  return invalidValue("text.format.type", "supported values are: 'text', 'json_object', and 'json_schema'.");
}

/** Function tools are called; any other tool type is accepted and, with nothing to run it, never used. */
function chooseTool(tools: unknown, choice: unknown, answersToolOutput: boolean): ResponsesPlan["tool"] | WireError {
  const functions: Array<{ name: string; parameters: unknown }> = [];
  if (present(tools)) {
    if (!Array.isArray(tools)) return invalidType("tools", "an array", tools);
    for (let i = 0; i < tools.length; i++) {
      const tool: unknown = tools[i];
      if (!isObject(tool)) return invalidType(`tools[${i}]`, "an object", tool);
      if (!present(tool.type)) return missingParam(`tools[${i}].type`);
      if (typeof tool.type !== "string") return invalidType(`tools[${i}].type`, "a string", tool.type);
      if (tool.type !== "function") continue;
      if (!present(tool.name)) return missingParam(`tools[${i}].name`);
      const name = readFunctionName(`tools[${i}].name`, tool.name);
      if (name instanceof WireError) return name;
      functions.push({ name, parameters: tool.parameters });
    }
  }
  // After a function's result the model answers in words unless it is made to call again.
  if (!present(choice) || choice === "auto") return answersToolOutput ? undefined : functions[0];
  if (choice === "none") return undefined;
  if (choice === "required") return functions[0];
  if (typeof choice === "string") return invalidValue("tool_choice", "supported values are: 'none', 'auto', and 'required'.");
  if (!isObject(choice)) return invalidType("tool_choice", "a string or an object", choice);
  if (choice.type !== "function") return undefined;
  const found = functions.find((f) => f.name === choice.name);
  return found ?? invalidValue("tool_choice", "the named function is not one of the provided tools.");
}
