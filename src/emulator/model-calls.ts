// Serves Azure's deployment routes (chat, completions, embeddings, the model list) and opens every model call, Responses create too.
import { bill } from "./billing.js";
import { answerChoices, randomId, usageFor } from "./chat-answer.js";
import { readChatRequest } from "./chat-request.js";
import { streamFrames, unaryBody, type Completion } from "./chat-wire.js";
import { serveCompletions } from "./completions.js";
import type { EmulatorState, DeploymentInfo } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { takeFault } from "./fault-outcome.js";
import { parseJsonObject, readBody, type JsonObject } from "./json-body.js";
import { isEmbeddingModel, isInstructModel, isReasoningModel } from "./models.js";
import { deliverPaced, pacedAnswer } from "./paced-answer.js";
import type { Operation, Route } from "./routes.js";
import { deploymentNotFound, invalidType, missingParam, operationNotSupported, WireError } from "./wire-errors.js";

type ModelRoute = Extract<Route, { kind: "classic" | "v1" | "v1-models" }>;
type ModelOperation = Operation | "responses";

/** Names in Azure's 429 message, and in its OperationNotSupported message. */
const OPERATIONS: Readonly<Record<ModelOperation, { quota: string; support: string }>> = {
  chat: { quota: "ChatCompletions_Create", support: "chatCompletion" },
  completions: { quota: "Completions_Create", support: "completion" },
  embeddings: { quota: "Embeddings_Create", support: "embeddings" },
  responses: { quota: "Responses_Create", support: "responses" },
};

/** A model call past its opening: its body, the deployment that serves it, and where a fault breaks its stream. */
export interface ModelCall {
  body: JsonObject;
  deployment: DeploymentInfo;
  resetAfter: number | undefined;
}

export async function serveModelRoute(ex: Exchange, state: EmulatorState, route: ModelRoute): Promise<void> {
  if (route.kind === "v1-models") return ex.json(200, state.modelList);
  let named: DeploymentInfo | undefined;
  if (route.kind === "classic") {
    if (ex.record) ex.record.deployment = route.deployment;
    named = state.deployments.get(route.deployment);
    if (!named) return ex.error(deploymentNotFound());
  }
  const call = await openModelCall(ex, state, route.operation, route.apiVersion, named);
  if (!call) return;
  const { body, deployment } = call;
  const classicVersion = route.kind === "classic" ? route.apiVersion : undefined;

  switch (route.operation) {
    case "embeddings": {
      const answer = state.embeddings.answer(body, deployment.model);
      if (answer instanceof WireError) return ex.error(answer);
      const usage = { prompt_tokens: answer.promptTokens, completion_tokens: 0, total_tokens: answer.promptTokens };
      return ex.json(200, answer.body, bill(ex, state, deployment.name, usage));
    }
    case "completions":
      return serveCompletions(ex, state, deployment, body, classicVersion, call.resetAfter);
    case "chat":
      return serveChat(ex, state, deployment, body, classicVersion, call.resetAfter);
  }
}

/**
 * What every model call does first: read the JSON body, find the deployment (`named` by the path, else by the
 * body's `model`), take its fault and check that its model serves the operation. Undefined once answered.
 */
export async function openModelCall(
  ex: Exchange,
  state: EmulatorState,
  operation: ModelOperation,
  apiVersion: string | undefined,
  named?: DeploymentInfo,
): Promise<ModelCall | undefined> {
  const call = await readModelCall(ex, state, operation, apiVersion, named);
  if (!(call instanceof WireError)) return call;
  ex.error(call);
  return undefined;
}

async function readModelCall(
  ex: Exchange,
  state: EmulatorState,
  operation: ModelOperation,
  apiVersion: string | undefined,
  named: DeploymentInfo | undefined,
): Promise<ModelCall | WireError | undefined> {
  const raw = await readBody(ex.req);
  if (raw === undefined || raw instanceof WireError) return raw;
  const body = parseJsonObject(raw);
  if (body instanceof WireError) return body;
  const stream = operation !== "embeddings" && body.stream === true;
  if (ex.record) {
    ex.record.body = body;
    ex.record.stream = stream;
  }
  const deployment = named ?? deploymentOf(ex, state, body);
  if (deployment instanceof WireError) return deployment;
  ex.origin = deployment.origin;

  const names = OPERATIONS[operation];
  const fault = await takeFault(ex, state, deployment.name, names.quota, apiVersion, stream);
  if (fault === "answered") return undefined;
  if (!servesOperation(deployment.model, operation)) return operationNotSupported(names.support, deployment.model);
  return { body, deployment, resetAfter: fault.resetAfter };
}

/** The deployment a body's `model` names (v1 and Responses routes), recorded before it is known to exist. */
function deploymentOf(ex: Exchange, state: EmulatorState, body: JsonObject): DeploymentInfo | WireError {
  if (body.model === undefined || body.model === null) return missingParam("model");
  if (typeof body.model !== "string") return invalidType("model", "a string", body.model);
  if (ex.record) ex.record.deployment = body.model;
  return state.deployments.get(body.model) ?? deploymentNotFound();
}

/** Embedding models only embed, instruct models only complete, and every other model serves chat (and Responses). */
function servesOperation(model: string, operation: ModelOperation): boolean {
  if (isEmbeddingModel(model)) return operation === "embeddings";
  if (isInstructModel(model)) return operation === "completions";
  return operation === "chat" || operation === "responses";
}

async function serveChat(
  ex: Exchange,
  state: EmulatorState,
  deployment: DeploymentInfo,
  body: JsonObject,
  classicVersion: string | undefined,
  resetAfter: number | undefined,
): Promise<void> {
  const plan = readChatRequest(body, { model: deployment.model, classicVersion });
  if (plan instanceof WireError) return ex.error(plan);
  const cached = state.promptCache.cachedTokens(deployment.name, plan.promptTokens, plan.prompt);
  const choices = answerChoices(plan, state.timing.answerWords);
  const usage = usageFor(plan, choices, isReasoningModel(deployment.model), cached);
  const completion: Completion = {
    id: `chatcmpl-${randomId(29)}`,
    created: Math.floor(Date.now() / 1000),
    snapshot: deployment.snapshot,
    fingerprint: deployment.fingerprint,
    choices,
    usage,
  };
  // What Azure bills, even if the client never asked for (or never reads) the usage chunk.
  const { prompt_tokens, completion_tokens, total_tokens } = usage;
  const remaining = bill(ex, state, deployment.name, { prompt_tokens, completion_tokens, total_tokens });
  await deliverPaced(ex, state, pacedAnswer(completion, plan, unaryBody, streamFrames), remaining, resetAfter);
}
