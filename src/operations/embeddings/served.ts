// ChatService's embeddings method, served from the embeddings operation; gRPC messages as OpenAI JSON and back.
import { ChatServiceService, CreateEmbeddingResponse, type CreateEmbeddingRequest } from "../../../gen/aik/v1/chat.js";
import { intAt, isArray, objectAt, objectsIn, stringAt, type JsonObject } from "../../core/json.js";
import { deploymentParams, grpcInput, served, type ServedMethod } from "../served-method.js";
import { put } from "../struct-json.js";
import { embeddings } from "./operation.js";

function bodyFromProto(r: CreateEmbeddingRequest): JsonObject {
  const body: JsonObject = { input: r.input };
  put(body, "model", r.model || undefined);
  put(body, "dimensions", r.dimensions);
  put(body, "user", r.user || undefined);
  return body;
}

function responseFromJson(j: JsonObject): CreateEmbeddingResponse {
  const usage = objectAt(j, "usage");
  return CreateEmbeddingResponse.fromPartial({
    object: stringAt(j, "object") ?? "list",
    model: stringAt(j, "model") ?? "",
    data: objectsIn(j.data).map((d) => ({
      object: stringAt(d, "object") ?? "embedding",
      index: intAt(d, "index") ?? 0,
      embedding: isArray(d.embedding) ? d.embedding.filter((x): x is number => typeof x === "number") : [],
    })),
    usage: usage ? { promptTokens: intAt(usage, "prompt_tokens") ?? 0, totalTokens: intAt(usage, "total_tokens") ?? 0 } : undefined,
  });
}

export const embeddingsMethods: readonly ServedMethod[] = [
  served("createEmbedding", ChatServiceService.createEmbedding, embeddings, (r) => grpcInput(bodyFromProto(r), deploymentParams(r.deployment)), responseFromJson),
];
