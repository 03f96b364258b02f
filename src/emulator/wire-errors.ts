// Azure's error answers, in the three envelope styles it really uses (see AZURE-WIRE.md).

/** A class, not a shape, so a parsed request body can never be mistaken for an error. */
export class WireError {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {}
}

/** OpenAI-style envelope, used by the model layer (validation, content filter, 500). */
export function openAiError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type: string | null = "invalid_request_error",
): WireError {
  return new WireError(status, JSON.stringify({ error: { message, type, param, code } }));
}

/** APIM-style envelope `{code, message}`, used in front of the model (routing, keys, quota). */
export function azureError(status: number, code: string, message: string): WireError {
  return new WireError(status, JSON.stringify({ error: { code, message } }));
}

export const resourceNotFound = (): WireError => azureError(404, "404", "Resource not found");

export const deploymentNotFound = (): WireError =>
  azureError(
    404,
    "DeploymentNotFound",
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
  );

export const accessDenied = (): WireError =>
  azureError(
    401,
    "401",
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
  );

/** Classic routes read any bearer as an Entra token; the emulator can verify none, so this body (no `error` wrapper). */
export const entraTokenRejected = (): WireError =>
  new WireError(
    401,
    JSON.stringify({
      statusCode: 401,
      message:
        "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
    }),
  );

export function rateLimited(retryAfterMs: number, operation: string, apiVersion: string | undefined): WireError {
  const seconds = Math.ceil(retryAfterMs / 1000);
  const version = apiVersion ?? "v1";
  const message =
    `Requests to the ${operation} Operation under Azure OpenAI API version ${version} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`;
  return new WireError(429, JSON.stringify({ error: { code: "429", message } }), {
    "retry-after": String(seconds),
    "retry-after-ms": String(Math.max(0, Math.round(retryAfterMs))),
  });
}

export const serverError = (): WireError =>
  openAiError(
    500,
    "The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error persists.",
    null,
    null,
    "server_error",
  );

export const unavailable = (): WireError =>
  azureError(503, "ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later.");

const SAFE = { filtered: false, severity: "safe" } as const;

/** Prompt blocked before the model ran; Azure spells it `innererror` with a singular `content_filter_result`. */
export const promptBlocked = (): WireError => {
  const error = {
    message:
      "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
    type: null,
    param: "prompt",
    code: "content_filter",
    status: 400,
    innererror: {
      code: "ResponsibleAIPolicyViolation",
      content_filter_result: {
        hate: SAFE,
        jailbreak: { filtered: true, detected: true },
        self_harm: SAFE,
        sexual: SAFE,
        violence: SAFE,
      },
    },
  };
  return new WireError(400, JSON.stringify({ error }));
};

export const operationNotSupported = (operation: string, model: string): WireError =>
  azureError(
    400,
    "OperationNotSupported",
    `The ${operation} operation does not work with the specified model, ${model}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
  );

export const unparsableBody = (): WireError =>
  openAiError(
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    null,
    null,
  );

export const bodyTooLarge = (): WireError =>
  azureError(413, "RequestEntityTooLarge", "The request body is too large.");

export const missingParam = (param: string): WireError =>
  openAiError(400, `Missing required parameter: '${param}'.`, param, "missing_required_parameter");

export const unknownParam = (param: string): WireError =>
  openAiError(400, `Unknown parameter: '${param}'.`, param, "unknown_parameter");

export const invalidType = (param: string, expected: string, got: unknown): WireError =>
  openAiError(
    400,
    `Invalid type for '${param}': expected ${expected}, but got ${describeJsonType(got)} instead.`,
    param,
    "invalid_type",
  );

export const invalidValue = (param: string, message: string): WireError =>
  openAiError(400, `Invalid value for '${param}': ${message}`, param, "invalid_value");

/** "a string", "an integer", ...: how OpenAI's validator names what it received. */
export function describeJsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a decimal";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/** Unknown, deleted and never-stored responses all look the same to the caller. */
export const responseNotFound = (id: string): WireError =>
  openAiError(404, `Response with id '${id}' not found.`, null, null);

export const previousResponseNotFound = (id: string): WireError =>
  openAiError(400, `Previous response with id '${id}' not found.`, "previous_response_id", "previous_response_not_found");
