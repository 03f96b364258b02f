// Creating a response: what the gateway reads (model, stream, background, store, the ids it names, the output cap).
import { invalidArgument } from "../../core/errors.js";
import { isArray, isObject, jsonText, type JsonObject } from "../../core/json.js";
import type { Call, Operation, OperationInput } from "../../core/operation.js";
import { affinityKey, contentText } from "../affinity.js";
import { callOf } from "../call.js";
import { ABSURD_TOKENS, optionalBoolean, optionalInteger } from "../../core/param-checks.js";
import { GatewayError } from "../../core/errors.js";
import { apiVersionOf, bodyOf, modelOf } from "../request-fields.js";
import { checkResponseId, isItemId } from "./ids.js";
import { responsesPromptText, roughResponsesPromptTokens } from "./prompt.js";
import { responseState, responseUsage } from "./state.js";
import { responsesStream } from "./stream.js";

/**
 * Validated: the model, `stream`, `background` with `store`, the output cap, and every id the body
 * names (previous_response_id, item references, a conversation), which must be the caller's.
 * Input items, tools, text formats and new parameters pass untouched; Azure answers for them.
 */
function parse(input: OperationInput): Call {
  const body = bodyOf(input);
  const model = modelOf(input, body);
  const apiVersion = apiVersionOf(input);
  const stream = optionalBoolean(body, "stream") ?? false;
  const background = optionalBoolean(body, "background") ?? false;
  const store = optionalBoolean(body, "store");
  if (background && store === false) {
    throw invalidArgument("background", "'background: true' needs the response stored: drop 'store: false'.");
  }
  const maxOutputTokens = optionalInteger(body, "max_output_tokens", 1, ABSURD_TOKENS);
  const references = referencesOf(body);
  const previous = body.previous_response_id;
  return callOf({
    op: createResponse,
    model,
    references,
    body,
    raw: input.raw,
    stream,
    apiVersion,
    includeUsage: true,
    needsStoredState: background || (previous !== undefined && previous !== null),
    background,
    maxOutputTokens,
  });
}

/** Upstream ids the body names: each is checked for ownership before anything is sent. */
function referencesOf(body: JsonObject): string[] {
  const ids: string[] = [];
  const previous = body.previous_response_id;
  if (previous !== undefined && previous !== null) ids.push(checkResponseId(previous, "previous_response_id"));
  if (isArray(body.input)) {
    body.input.forEach((item, i) => {
      if (!isObject(item) || item.type !== "item_reference") return;
      if (!isItemId(item.id)) throw invalidArgument(`input[${i}].id`, `Invalid 'input[${i}].id': item ids look like msg_ followed by letters and digits.`);
      ids.push(item.id);
    });
  }
  // Conversations are created through an API AI-K does not serve, so no caller owns one.
  const conversation = body.conversation;
  if (conversation !== undefined && conversation !== null) {
    const id = conversationId(body);
    if (id === undefined || !isItemId(id)) throw invalidArgument("conversation", "Invalid 'conversation': expected a conversation id.");
    ids.push(id);
  }
  return ids;
}

function conversationId(body: JsonObject | undefined): string | undefined {
  const conversation = body?.conversation;
  const id = isObject(conversation) ? conversation.id : conversation;
  return typeof id === "string" ? id : undefined;
}

export const createResponse: Operation = {
  name: "responses.create",
  kind: "model",
  metering: "request",
  createsObjects: true,
  stream: responsesStream,
  parse,
  // A deployment with responses_store: never keeps nothing at Azure, whatever the client asked.
  upstream: (call, d) => ({
    method: "POST",
    scope: "resource",
    path: "responses",
    query: [],
    body: d.responsesStore === "never" && call.body ? { ...call.body, store: false } : call.body,
    raw: call.raw,
    stream: call.stream,
    apiVersion: call.apiVersion,
    askStreamUsage: false,
  }),
  usage: responseUsage,
  object: responseState,
  affinityKey: (call) =>
    affinityKey(call.body, function* (body) {
      if (typeof body.instructions === "string") yield body.instructions;
      if (isArray(body.tools)) yield jsonText(body.tools, "tools");
      if (typeof body.input === "string") yield body.input;
      else if (isArray(body.input)) for (const item of body.input) if (isObject(item)) yield* contentText(item.content);
    }),
  outputCapParam: () => "max_output_tokens",
  roughPromptTokens: roughResponsesPromptTokens,
  promptText: responsesPromptText,
  // The field that named it, never the id itself: the message is the same for an unknown id and another caller's.
  notFound: (call, id) =>
    new GatewayError("not_found", "A response or item this request names does not exist.", {
      param: id === call.body?.previous_response_id ? "previous_response_id" : id === conversationId(call.body) ? "conversation" : "input",
      reason: "not_found",
    }),
};
