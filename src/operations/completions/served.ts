// ChatService's legacy completion methods, served from the completions operation; gRPC messages as OpenAI JSON and back.
import { ChatServiceService, Completion, type CompletionRequest } from "../../../gen/aik/v1/chat.js";
import { intAt, objectAt, objectsIn, stringAt, type JsonObject } from "../../core/json.js";
import { invalidArgument } from "../../core/errors.js";
import { finishReasonOf, usageFromJson } from "../chat/grpc-response.js";
import { deploymentParams, grpcInput, served, type ServedMethod } from "../served-method.js";
import { extraBody, put } from "../struct-json.js";
import { completions } from "./operation.js";

const MODELED = new Set(["model", "prompt", "stream", "stream_options"]);

function bodyFromProto(r: CompletionRequest, stream: boolean): JsonObject {
  const body = extraBody(r.extraBody, MODELED);
  put(body, "model", r.model || undefined);
  body.prompt = r.prompt.length === 1 ? (r.prompt[0] ?? "") : r.prompt;
  if (stream) {
    body.stream = true;
    if (r.streamOptions) body.stream_options = { include_usage: r.streamOptions.includeUsage };
  } else if (r.streamOptions) {
    throw invalidArgument("stream_options", "'stream_options' is only allowed on StreamCompletion.");
  }
  put(body, "max_tokens", r.maxTokens);
  put(body, "temperature", r.temperature);
  put(body, "top_p", r.topP);
  put(body, "n", r.n);
  if (r.stop.length > 0) body.stop = r.stop;
  put(body, "suffix", r.suffix || undefined);
  put(body, "user", r.user || undefined);
  return body;
}

function completionFromJson(j: JsonObject): Completion {
  return Completion.fromPartial({
    id: stringAt(j, "id") ?? "",
    object: stringAt(j, "object") ?? "",
    created: intAt(j, "created") ?? 0,
    model: stringAt(j, "model") ?? "",
    choices: objectsIn(j.choices).map((c) => ({
      index: intAt(c, "index") ?? 0,
      text: stringAt(c, "text") ?? "",
      finishReason: finishReasonOf(c),
    })),
    usage: usageFromJson(objectAt(j, "usage")),
  });
}

export const completionMethods: readonly ServedMethod[] = [
  served("createCompletion", ChatServiceService.createCompletion, completions, (r) => grpcInput(bodyFromProto(r, false), deploymentParams(r.deployment)), completionFromJson),
  served("streamCompletion", ChatServiceService.streamCompletion, completions, (r) => grpcInput(bodyFromProto(r, true), deploymentParams(r.deployment)), completionFromJson),
];
