// Operations on a stored response: read (or resume its stream), delete, cancel, list its input items; each only by its owner.
import { GatewayError, invalidArgument } from "../../core/errors.js";
import type { Call, MeteringMode, Operation, OperationInput, UpstreamRequest } from "../../core/operation.js";
import { callOf } from "../call.js";
import { apiVersionOf } from "../request-fields.js";
import { checkResponseId } from "./ids.js";
import { responseState, responseUsage } from "./state.js";
import { responsesStream } from "./stream.js";

// Query names pass through when they look like OpenAI's (`include[]` included); api-version is the gateway's to set.
const QUERY_NAME = /^[a-z_]{1,64}(?:\[\])?$/;

function forwardQuery(input: OperationInput): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of input.query) {
    if (name === "api-version") continue;
    if (!QUERY_NAME.test(name)) throw invalidArgument("query", "Invalid query parameter name.");
    out.push([name, value]);
  }
  return out;
}

function streamFlag(input: OperationInput): boolean {
  const v = input.query.get("stream");
  if (v === null || v === "false") return false;
  if (v === "true") return true;
  throw invalidArgument("stream", "Invalid 'stream': expected true or false.");
}

function notFound(): GatewayError {
  return new GatewayError("not_found", "No response found with that id.", { param: "response_id", reason: "not_found" });
}

interface StoredSpec {
  readonly name: string;
  readonly method: UpstreamRequest["method"];
  /** The path after responses/{id}. */
  readonly suffix: string;
  readonly metering: MeteringMode;
  readonly streams: boolean;
  readonly forgetsObject: boolean;
}

function storedOperation(spec: StoredSpec): Operation {
  const op: Operation = {
    name: spec.name,
    kind: "object",
    metering: spec.metering,
    createsObjects: false,
    stream: spec.streams ? responsesStream : undefined,
    forgetsObject: spec.forgetsObject,
    parse: (input): Call =>
      callOf({
        op,
        objectId: checkResponseId(input.params.response_id, "response_id"),
        query: forwardQuery(input),
        stream: spec.streams && streamFlag(input),
        apiVersion: apiVersionOf(input),
        includeUsage: true,
        maxOutputTokens: 0,
      }),
    upstream: (call) => ({
      method: spec.method,
      scope: "resource",
      path: `responses/${call.objectId ?? ""}${spec.suffix}`,
      query: call.query,
      body: undefined,
      stream: call.stream,
      apiVersion: call.apiVersion,
      askStreamUsage: false,
    }),
    usage: responseUsage,
    object: responseState,
    outputCapParam: () => "max_output_tokens",
    roughPromptTokens: () => 0,
    promptText: () => ({ texts: [], overheadTokens: 0 }),
    notFound,
  };
  return op;
}

/** GET; `?stream=true` resumes a background response's events after `starting_after`. A finished one seen here is metered. */
export const getResponse = storedOperation({ name: "responses.get", method: "GET", suffix: "", metering: "settles", streams: true, forgetsObject: false });
/** DELETE; a background response not yet metered is read once more first, so its usage is not lost. */
export const deleteResponse = storedOperation({ name: "responses.delete", method: "DELETE", suffix: "", metering: "settles", streams: false, forgetsObject: true });
export const cancelResponse = storedOperation({ name: "responses.cancel", method: "POST", suffix: "/cancel", metering: "settles", streams: false, forgetsObject: false });
export const listInputItems = storedOperation({ name: "responses.input_items", method: "GET", suffix: "/input_items", metering: "none", streams: false, forgetsObject: false });
