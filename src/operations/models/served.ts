// ChatService's model catalog methods, served from the catalog operations.
import { ChatServiceService, ListModelsResponse, Model } from "../../../gen/aik/v1/chat.js";
import { intAt, objectsIn, stringAt, type JsonObject } from "../../core/json.js";
import { grpcInput, served, type ServedMethod } from "../served-method.js";
import { getModel, listModels } from "./operation.js";

function modelFromJson(m: JsonObject): Model {
  return { id: stringAt(m, "id") ?? "", object: stringAt(m, "object") ?? "model", created: intAt(m, "created") ?? 0, ownedBy: stringAt(m, "owned_by") ?? "" };
}

export const modelMethods: readonly ServedMethod[] = [
  served("listModels", ChatServiceService.listModels, listModels, () => grpcInput(undefined), (j) =>
    ListModelsResponse.fromPartial({ object: stringAt(j, "object") ?? "list", data: objectsIn(j.data).map(modelFromJson) }),
  ),
  served("getModel", ChatServiceService.getModel, getModel, (r) => grpcInput(undefined, { model: r.model }), modelFromJson),
];
