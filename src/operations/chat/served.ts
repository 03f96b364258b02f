// ChatService's chat methods, served from the chat operation over both doors.
import { ChatServiceService } from "../../../gen/aik/v1/chat.js";
import { deploymentParams, grpcInput, served, type ServedMethod } from "../served-method.js";
import { chatBodyFromProto } from "./grpc-request.js";
import { chatChunkFromJson, chatCompletionFromJson } from "./grpc-response.js";
import { chatCompletions } from "./operation.js";

export const chatMethods: readonly ServedMethod[] = [
  served("createChatCompletion", ChatServiceService.createChatCompletion, chatCompletions, (r) => grpcInput(chatBodyFromProto(r, false), deploymentParams(r.deployment)), chatCompletionFromJson),
  // The same HTTP routes: `"stream": true` in the body selects streaming, as in OpenAI's API.
  served("streamChatCompletion", ChatServiceService.streamChatCompletion, chatCompletions, (r) => grpcInput(chatBodyFromProto(r, true), deploymentParams(r.deployment)), chatChunkFromJson),
];
