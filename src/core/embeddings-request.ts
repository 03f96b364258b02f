// Validates an OpenAI embeddings body once, for both front doors.
import { GatewayError, invalidArgument } from "./errors.js";
import { isArray, isInteger, isObject, type JsonValue } from "./json.js";
import type { JsonObject } from "./json.js";
import { checkName } from "./names.js";
import { optionalEnum, optionalInteger, optionalString, refuseRoutingOverrides } from "./param-checks.js";

export interface EmbeddingsRequest {
  readonly model: string;
  readonly body: JsonObject;
  readonly inputs: number;
}

const MAX_INPUTS = 2048;

export function parseEmbeddingsRequest(input: unknown, pathDeployment?: string): EmbeddingsRequest {
  if (!isObject(input)) throw invalidArgument("body", "The request body must be a JSON object.");
  const body = input;
  refuseRoutingOverrides(body);
  let model = pathDeployment;
  if (model === undefined) {
    if (typeof body.model !== "string" || body.model === "") {
      throw new GatewayError("invalid_argument", "Missing required parameter: 'model'.", {
        param: "model",
        reason: "missing_required_parameter",
      });
    }
    model = body.model;
  }
  checkName(model, pathDeployment === undefined ? "model" : "deployment");
  const inputs = countInputs(body.input);
  optionalInteger(body, "dimensions", 1, 16_384);
  optionalEnum(body, "encoding_format", ["float", "base64"] as const);
  optionalString(body, "user", 512);
  return { model, body, inputs };
}

/** input: a string, an array of strings, an array of token ids, or an array of token-id arrays. */
function countInputs(input: JsonValue | undefined): number {
  if (input === undefined || input === null) {
    throw new GatewayError("invalid_argument", "Missing required parameter: 'input'.", {
      param: "input",
      reason: "missing_required_parameter",
    });
  }
  if (typeof input === "string") return 1;
  const invalid = invalidArgument("input", `Invalid 'input': expected a string, or an array of 1 to ${MAX_INPUTS} strings or token arrays.`);
  if (!isArray(input) || input.length === 0 || input.length > MAX_INPUTS) throw invalid;
  if (input.every((v) => typeof v === "string")) return input.length;
  if (input.every((v) => isInteger(v) && v >= 0)) return 1;
  if (input.every((v) => isArray(v) && v.length > 0 && v.every((t) => isInteger(t) && t >= 0))) return input.length;
  throw invalid;
}
