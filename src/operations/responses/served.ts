// ResponsesService's methods, served from the Responses operations over both doors.
import { DeleteResponseResponse, ListInputItemsResponse, ResponsesServiceService } from "../../../gen/aik/v1/responses.js";
import { stringAt } from "../../core/json.js";
import { grpcInput, served, type ServedMethod } from "../served-method.js";
import { createResponse } from "./create.js";
import { createBodyFromProto, inputItemsFromJson, responseFromJson, streamEventFromJson } from "./grpc-messages.js";
import { cancelResponse, deleteResponse, getResponse, listInputItems } from "./stored.js";

const id = (responseId: string): Record<string, string> => ({ response_id: responseId });

function query(pairs: ReadonlyArray<readonly [string, string | number | undefined]>, include: readonly string[] = []): URLSearchParams {
  const q = new URLSearchParams();
  for (const [name, value] of pairs) if (value !== undefined && value !== "") q.append(name, String(value));
  for (const item of include) q.append("include[]", item);
  return q;
}

export const responsesMethods: readonly ServedMethod[] = [
  served("createResponse", ResponsesServiceService.createResponse, createResponse, (r) => grpcInput(createBodyFromProto(r, false)), responseFromJson),
  // The same HTTP routes: `"stream": true` in the body selects streaming.
  served("streamResponse", ResponsesServiceService.streamResponse, createResponse, (r) => grpcInput(createBodyFromProto(r, true)), streamEventFromJson),
  served("getResponse", ResponsesServiceService.getResponse, getResponse, (r) => grpcInput(undefined, id(r.responseId), query([], r.include)), responseFromJson),
  // The same HTTP route: `?stream=true` selects resumption.
  served(
    "resumeResponse",
    ResponsesServiceService.resumeResponse,
    getResponse,
    (r) => grpcInput(undefined, id(r.responseId), query([["stream", "true"], ["starting_after", r.startingAfter]], r.include)),
    streamEventFromJson,
  ),
  served("deleteResponse", ResponsesServiceService.deleteResponse, deleteResponse, (r) => grpcInput(undefined, id(r.responseId)), (j) =>
    DeleteResponseResponse.fromPartial({ id: stringAt(j, "id") ?? "", object: stringAt(j, "object") ?? "", deleted: j.deleted === true }),
  ),
  served("cancelResponse", ResponsesServiceService.cancelResponse, cancelResponse, (r) => grpcInput(undefined, id(r.responseId)), responseFromJson),
  served(
    "listInputItems",
    ResponsesServiceService.listInputItems,
    listInputItems,
    (r) => grpcInput(undefined, id(r.responseId), query([["limit", r.limit], ["order", r.order], ["after", r.after]], r.include)),
    (j) => ListInputItemsResponse.fromPartial(inputItemsFromJson(j)),
  ),
];
