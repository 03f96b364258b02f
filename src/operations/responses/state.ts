// What a Response object tells the gateway: its usage, whether Azure keeps it, whether it has finished.
import { isArray, isObject, objectAt, type JsonObject } from "../../core/json.js";
import type { ObjectState } from "../../core/operation.js";
import { readUsage, usageNames, type Usage } from "../../core/usage.js";
import { isItemId, isResponseId } from "./ids.js";

const FINISHED = new Set(["completed", "incomplete", "failed", "cancelled"]);

const RESPONSES_NAMES = usageNames("input", "output");

/** Responses count input/output tokens (OpenAI's names), cached and reasoning tokens in their details. */
export function responseUsage(response: JsonObject | undefined): Usage | undefined {
  return readUsage(response ? objectAt(response, "usage") : undefined, RESPONSES_NAMES);
}

/** The state of a Response object; undefined for anything else (a deletion receipt, an error). */
export function responseState(response: JsonObject | undefined): ObjectState | undefined {
  if (!response || response.object !== "response" || !isResponseId(response.id)) return undefined;
  const status = typeof response.status === "string" ? response.status : "";
  const itemIds = isArray(response.output) ? response.output.flatMap((item) => (isObject(item) && isItemId(item.id) ? [item.id] : [])) : [];
  return {
    id: response.id,
    stored: response.store !== false,
    finished: FINISHED.has(status),
    outcome: outcomeOf(status),
    usage: responseUsage(response),
    itemIds,
  };
}

function outcomeOf(status: string): string {
  if (status === "cancelled") return "client_cancelled";
  // Azure's own code for the failure could be anything: the record keeps the closed "failed".
  if (status === "failed") return "upstream_error:failed";
  return "ok";
}
