// ChatService over gRPC: proto in, one core call, proto out; stream writes honour backpressure and stop on cancel.
import type { handleServerStreamingCall, handleUnaryCall, sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import type { ChatCompletionRequest, ChatCompletionChunk, ChatServiceServer } from "../../../gen/aik/v1/chat.js";
import { parseChatRequest } from "../../core/chat-request.js";
import type { CallContext } from "../../core/context.js";
import { parseEmbeddingsRequest } from "../../core/embeddings-request.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { ChatStream } from "../../core/results.js";
import { contextFor, type GrpcCallScope } from "./call-context.js";
import { chatBodyFromProto, embeddingBodyFromProto } from "./chat-request-mapping.js";
import { chatChunkFromJson, chatCompletionFromJson, embeddingsFromJson } from "./chat-response-mapping.js";
import { drained } from "../drained.js";
import { toStatus } from "./errors.js";

/** A deadline that passed turns whatever the core threw (usually "cancelled") into DEADLINE_EXCEEDED. */
function failure(err: unknown, scope: GrpcCallScope): GatewayError {
  if (scope.deadlineExceeded()) return new GatewayError("deadline_exceeded", "The call's deadline passed before it completed.");
  return toGatewayError(err);
}

/** Wraps one core call as a grpc-js unary handler. */
export function unary<Req, Res>(fn: (request: Req, ctx: CallContext) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const scope = contextFor(call);
    fn(call.request, scope.ctx)
      .then(
        (res) => {
          scope.sendHeaders();
          callback(null, res);
        },
        (err: unknown) => {
          scope.sendHeaders();
          callback(toStatus(failure(err, scope)));
        },
      )
      .finally(scope.end);
  };
}

export function chatService(gateway: Gateway): ChatServiceServer {
  return {
    createChatCompletion: unary(async (req: ChatCompletionRequest, ctx) => {
      const result = await gateway.createChatCompletion(parseChatRequest(chatBodyFromProto(req, false)), ctx);
      return chatCompletionFromJson(result.json);
    }),
    streamChatCompletion: streamChat(gateway),
    createEmbedding: unary(async (req, ctx) => {
      const result = await gateway.createEmbedding(parseEmbeddingsRequest(embeddingBodyFromProto(req)), ctx);
      return embeddingsFromJson(result.json);
    }),
    listModels: unary(async (_req, ctx) => {
      const { models } = await gateway.listModels(ctx);
      return { object: "list", data: models.map((m) => ({ id: m.id, object: "model", created: m.created, ownedBy: m.ownedBy })) };
    }),
  };
}

function streamChat(gateway: Gateway): handleServerStreamingCall<ChatCompletionRequest, ChatCompletionChunk> {
  return async (call) => {
    const scope = contextFor(call);
    let stream: ChatStream | undefined;
    try {
      stream = await gateway.streamChatCompletion(parseChatRequest(chatBodyFromProto(call.request, true)), scope.ctx);
      scope.sendHeaders();
      for await (const chunk of stream) {
        if (call.cancelled) return;
        if (!call.write(chatChunkFromJson(chunk.json))) await drained(call, ["cancelled", "close"]);
      }
      call.end();
    } catch (err) {
      if (!call.cancelled) {
        scope.sendHeaders();
        call.emit("error", toStatus(failure(err, scope)));
      }
    } finally {
      stream?.close();
      scope.end();
    }
  };
}
