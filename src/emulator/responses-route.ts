// Serves the Responses API: create, and retrieve, cancel, delete and input_items of a stored response.
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { takeFault } from "./fault-outcome.js";
import { queryInteger } from "./param-checks.js";
import { SSE_CONTENT_TYPE } from "./paced-answer.js";
import { createResponse } from "./responses-create.js";
import { sendEvents } from "./responses-events.js";
import { responseBody } from "./responses-object.js";
import type { StoredResponse } from "./responses-store.js";
import type { ResponsesAction, ResponsesRoute } from "./routes.js";
import { invalidType, invalidValue, openAiError, responseNotFound, WireError } from "./wire-errors.js";
import { FULL_QUOTA } from "./wire-headers.js";

/** Anything else in the path is looked up all the same, and never found. */
const RESPONSE_ID = /^resp_[A-Za-z0-9]+$/;

/** The operation a 429 names, as Azure's quota messages do. */
const QUOTA_OPERATION: Readonly<Record<ResponsesAction, string>> = {
  create: "Responses_Create",
  retrieve: "Responses_Get",
  cancel: "Responses_Cancel",
  delete: "Responses_Delete",
  "input-items": "Responses_ListInputItems",
};

const INPUT_ITEMS_PAGE = { integer: true, min: 1, max: 100 };
const DEFAULT_INPUT_ITEMS_PAGE = 20;

export async function serveResponsesRoute(ex: Exchange, state: EmulatorState, route: ResponsesRoute): Promise<void> {
  if (route.action === "create") return createResponse(ex, state, route);

  ex.req.resume();
  const stored = RESPONSE_ID.test(route.id) ? state.responses.get(route.id) : undefined;
  if (!stored) return ex.error(responseNotFound(route.id));
  const deployment = state.deployments.get(stored.deployment);
  if (deployment) ex.origin = deployment.origin;
  const stream = route.action === "retrieve" ? readFlag(route.query.get("stream")) : false;
  if (ex.record) {
    ex.record.deployment = stored.deployment;
    ex.record.responseId = route.id;
    ex.record.stream = stream === true;
  }
  // Faults follow the deployment that created the response; unknown ids above never reach one.
  const fault = await takeFault(ex, state, stored.deployment, QUOTA_OPERATION[route.action], route.apiVersion, stream === true);
  if (fault === "answered") return;
  if (stream instanceof WireError) return ex.error(stream);

  switch (route.action) {
    case "retrieve":
      if (!stream) return ex.json(200, responseBody(stored.run, stored.view()));
      return replay(ex, stored, route.query, fault.resetAfter);
    case "cancel":
      if (!stored.background) return ex.error(openAiError(400, "Only background responses can be cancelled.", null, null));
      stored.cancel();
      return ex.json(200, responseBody(stored.run, stored.view()));
    case "delete":
      state.responses.delete(route.id);
      return ex.json(200, JSON.stringify({ id: route.id, object: "response.deleted", deleted: true }));
    case "input-items": {
      const page = inputItemsPage(stored, route.query);
      return page instanceof WireError ? ex.error(page) : ex.json(200, page);
    }
  }
}

/** `?stream=true` replays the events after `starting_after`: past ones at once, the rest as they happen. */
async function replay(ex: Exchange, stored: StoredResponse, query: URLSearchParams, resetAfter: number | undefined): Promise<void> {
  if (!stored.events) {
    return ex.error(openAiError(400, "Only background responses can be streamed when retrieved.", "stream", "invalid_value"));
  }
  const after = queryInteger("starting_after", query.get("starting_after"), { integer: true, min: -1, max: Number.MAX_SAFE_INTEGER });
  if (after instanceof WireError) return ex.error(after);
  if (ex.gone) return;
  ex.head(200, SSE_CONTENT_TYPE, FULL_QUOTA);
  await sendEvents(ex, stored.events, stored, after ?? -1, resetAfter);
}

function readFlag(raw: string | null): boolean | WireError {
  if (raw === null || raw === "false") return false;
  return raw === "true" ? true : invalidType("stream", "a boolean", raw);
}

function inputItemsPage(stored: StoredResponse, query: URLSearchParams): string | WireError {
  const limit = queryInteger("limit", query.get("limit"), INPUT_ITEMS_PAGE);
  if (limit instanceof WireError) return limit;
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") return invalidValue("order", "supported values are: 'asc' and 'desc'.");
  const items = order === "asc" ? [...stored.inputItems] : [...stored.inputItems].reverse();
  let start = 0;
  const after = query.get("after");
  if (after !== null) {
    const at = items.findIndex((item) => item.id === after);
    if (at === -1) return invalidValue("after", "no input item of this response has that id.");
    start = at + 1;
  }
  const size = limit ?? DEFAULT_INPUT_ITEMS_PAGE;
  const data = items.slice(start, start + size);
  const idOf = (item: (typeof data)[number] | undefined): unknown => item?.id ?? null;
  return JSON.stringify({ object: "list", data, first_id: idOf(data[0]), last_id: idOf(data.at(-1)), has_more: start + size < items.length });
}
