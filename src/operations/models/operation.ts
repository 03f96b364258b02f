// The model catalog (list and one model): answered from the deployment list, showing a key only the models it may use.
import { GatewayError, modelNotFound } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { checkName } from "../../core/names.js";
import type { Call, Operation, OperationInput } from "../../core/operation.js";
import type { ModelInfo } from "../../core/results.js";
import { callOf } from "../call.js";
import { apiVersionOf } from "../request-fields.js";

const OWNED_BY = "azure-openai";

function modelJson(m: ModelInfo): JsonObject {
  return { id: m.id, object: "model", created: m.created, owned_by: OWNED_BY };
}

function catalogCall(op: Operation, input: OperationInput, model: string | undefined): Call {
  return callOf({ op, model, apiVersion: apiVersionOf(input), maxOutputTokens: 0 });
}

const unused = {
  metering: "none",
  createsObjects: false,
  stream: undefined,
  usage: () => undefined,
  object: () => undefined,
  outputCapParam: () => "max_tokens",
  roughPromptTokens: () => 0,
  promptText: () => ({ texts: [], overheadTokens: 0 }),
} as const;

function notServed(): never {
  throw new GatewayError("internal", "The model catalog is answered by the gateway, never upstream.");
}

export const listModels: Operation = {
  ...unused,
  name: "models.list",
  kind: "catalog",
  parse: (input) => catalogCall(listModels, input, undefined),
  upstream: notServed,
  catalog: (_call, models) => ({ object: "list", data: models.map(modelJson) }),
};

export const getModel: Operation = {
  ...unused,
  name: "models.get",
  kind: "catalog",
  parse: (input) => catalogCall(getModel, input, checkName(input.params.model ?? "", "model")),
  upstream: notServed,
  // A model the key may not use is answered like one that does not exist.
  catalog: (call, models) => {
    const found = models.find((m) => m.id === call.model);
    if (!found) throw modelNotFound(call.model ?? "");
    return modelJson(found);
  },
};
