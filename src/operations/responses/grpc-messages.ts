// ResponsesService messages <-> OpenAI's JSON: typed fields for what every caller reads, every item carried losslessly.
import type { CreateResponseRequest, Response, ResponseStreamEvent } from "../../../gen/aik/v1/responses.js";
import { invalidArgument } from "../../core/errors.js";
import { intAt, isArray, objectAt, objectsIn, stringAt, type JsonObject } from "../../core/json.js";
import { extraBody, put, structField } from "../struct-json.js";
import { responseUsage } from "./state.js";

// Fields the request message models: extra_body may not set them (nor can it redirect the call: the operation refuses that).
const MODELED = new Set([
  "model", "instructions", "input", "previous_response_id", "max_output_tokens", "store", "background",
  "temperature", "top_p", "tools", "metadata", "stream",
]);

export function createBodyFromProto(r: CreateResponseRequest, stream: boolean): JsonObject {
  const body = extraBody(r.extraBody, MODELED);
  put(body, "model", r.model || undefined);
  put(body, "instructions", r.instructions || undefined);
  if (r.inputText && r.input.length > 0) throw invalidArgument("input", "Set 'input_text' or 'input', not both.");
  if (r.inputText) body.input = r.inputText;
  if (r.input.length > 0) body.input = r.input.map((item, i) => structItem(item, `input[${i}]`));
  put(body, "previous_response_id", r.previousResponseId || undefined);
  put(body, "max_output_tokens", r.maxOutputTokens);
  put(body, "store", r.store);
  put(body, "background", r.background);
  put(body, "temperature", r.temperature);
  put(body, "top_p", r.topP);
  if (r.tools.length > 0) body.tools = r.tools.map((t, i) => structItem(t, `tools[${i}]`));
  put(body, "metadata", structField(r.metadata, "metadata"));
  if (stream) body.stream = true;
  return body;
}

function structItem(v: { [key: string]: unknown }, param: string): JsonObject {
  const item = structField(v, param);
  if (!item) throw invalidArgument(param, `Invalid '${param}': expected a JSON object.`);
  return item;
}

/** The text of every output_text part, as the SDKs' `output_text` convenience has it. */
function outputText(output: readonly JsonObject[]): string {
  let text = "";
  for (const item of output) {
    if (item.type !== "message") continue;
    for (const part of objectsIn(item.content)) if (part.type === "output_text") text += stringAt(part, "text") ?? "";
  }
  return text;
}

export function responseFromJson(j: JsonObject): Response {
  const output = objectsIn(j.output);
  const usage = responseUsage(j);
  const error = objectAt(j, "error");
  const metadata = objectAt(j, "metadata");
  return {
    id: stringAt(j, "id") ?? "",
    object: stringAt(j, "object") ?? "",
    createdAt: Math.trunc(typeof j.created_at === "number" ? j.created_at : 0),
    status: stringAt(j, "status") ?? "",
    model: stringAt(j, "model") ?? "",
    instructions: stringAt(j, "instructions") ?? "",
    outputText: outputText(output),
    usage: usage
      ? {
          inputTokens: usage.promptTokens,
          cachedTokens: usage.cachedTokens,
          outputTokens: usage.completionTokens,
          reasoningTokens: usage.reasoningTokens,
          totalTokens: intAt(objectAt(j, "usage"), "total_tokens") ?? usage.promptTokens + usage.completionTokens,
        }
      : undefined,
    previousResponseId: stringAt(j, "previous_response_id") ?? "",
    background: j.background === true,
    error: error ? { code: stringAt(error, "code") ?? "", message: stringAt(error, "message") ?? "" } : undefined,
    incompleteReason: stringAt(objectAt(j, "incomplete_details"), "reason") ?? "",
    output,
    metadata,
  };
}

export function streamEventFromJson(j: JsonObject): ResponseStreamEvent {
  const response = objectAt(j, "response");
  const delta = j.delta;
  return {
    type: stringAt(j, "type") ?? "",
    sequenceNumber: intAt(j, "sequence_number") ?? 0,
    response: response ? responseFromJson(response) : undefined,
    delta: typeof delta === "string" ? delta : "",
    itemId: stringAt(j, "item_id") ?? stringAt(objectAt(j, "item"), "id") ?? "",
    outputIndex: intAt(j, "output_index") ?? 0,
    event: j,
  };
}

export function inputItemsFromJson(j: JsonObject): { object: string; data: JsonObject[]; firstId: string; lastId: string; hasMore: boolean } {
  return {
    object: stringAt(j, "object") ?? "list",
    data: isArray(j.data) ? objectsIn(j.data) : [],
    firstId: stringAt(j, "first_id") ?? "",
    lastId: stringAt(j, "last_id") ?? "",
    hasMore: j.has_more === true,
  };
}
