// Response and item ids: checked before one reaches a URL or a lookup; a malformed id never does.
import { invalidArgument } from "../../core/errors.js";

// OpenAI's ids: a short type prefix, "_", then letters and digits (resp_…, msg_…, fc_…, rs_…).
const RESPONSE_ID = /^resp_[A-Za-z0-9]{1,200}$/;
const ITEM_ID = /^[a-z]{1,24}_[A-Za-z0-9]{1,200}$/;

export function isResponseId(id: unknown): id is string {
  return typeof id === "string" && RESPONSE_ID.test(id);
}

export function isItemId(id: unknown): id is string {
  return typeof id === "string" && ITEM_ID.test(id);
}

/** Never echoes the value: a path segment can hold anything a client typed. */
export function checkResponseId(id: unknown, param: string): string {
  if (!isResponseId(id)) throw invalidArgument(param, `Invalid '${param}': response ids look like resp_ followed by letters and digits.`);
  return id;
}
