// Embeddings: the model and the input the reservation reads; everything else is Azure's to judge.
import { isArray, type JsonValue } from "../../core/json.js";
import type { Call, Operation, OperationInput } from "../../core/operation.js";
import { callOf } from "../call.js";
import { usageOf } from "../../core/usage.js";
import { apiVersionOf, bodyOf, missing, modelOf } from "../request-fields.js";

function parse(input: OperationInput): Call {
  const body = bodyOf(input);
  const model = modelOf(input, body);
  const apiVersion = apiVersionOf(input);
  if (body.input === undefined || body.input === null) throw missing("input");
  // Embeddings produce no output tokens: nothing to reserve beyond the input.
  return callOf({ op: embeddings, model, body, raw: input.raw, apiVersion, maxOutputTokens: 0 });
}

/** input: a string, strings, token ids, or arrays of token ids; token ids count one each. */
function inputTexts(input: JsonValue | undefined): { texts: string[]; tokens: number } {
  if (typeof input === "string") return { texts: [input], tokens: 0 };
  const out = { texts: [] as string[], tokens: 0 };
  if (!isArray(input)) return out;
  for (const item of input) {
    if (typeof item === "string") out.texts.push(item);
    else if (typeof item === "number") out.tokens += 1;
    else if (isArray(item)) out.tokens += item.length;
  }
  return out;
}

export const embeddings: Operation = {
  name: "embeddings",
  kind: "model",
  metering: "request",
  createsObjects: false,
  stream: undefined,
  parse,
  upstream: (call) => ({
    method: "POST",
    scope: "deployment",
    path: "embeddings",
    query: [],
    body: call.body,
    raw: call.raw,
    stream: false,
    apiVersion: call.apiVersion,
    askStreamUsage: false,
  }),
  usage: usageOf,
  readsOnlyUsage: true,
  object: () => undefined,
  // No output: a request too large for a TPM limit is too large by its input.
  outputCapParam: () => "input",
  roughPromptTokens: (call) => {
    const { texts, tokens } = inputTexts(call.body?.input);
    return Math.ceil(texts.reduce((n, t) => n + t.length, 0) / 4) + tokens;
  },
  promptText: (call) => {
    const { texts, tokens } = inputTexts(call.body?.input);
    return { texts, overheadTokens: tokens };
  },
};
