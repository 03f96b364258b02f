// Serves Azure's deployment routes: credential, deployment, faults, then chat, completions, embeddings or the model list.
import { answerChoices, randomId, usageFor } from "./chat-answer.js";
import { readChatRequest } from "./chat-request.js";
import { streamFrames, unaryBody, type Completion } from "./chat-wire.js";
import { serveCompletions } from "./completions.js";
import type { EmulatorState, DeploymentInfo } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { takeFault } from "./fault-outcome.js";
import { parseJsonObject, readBody, type JsonObject } from "./json-body.js";
import { isEmbeddingModel, isInstructModel, isReasoningModel } from "./models.js";
import { deliverPaced } from "./paced-answer.js";
import type { Operation, Route } from "./routes.js";
import { deploymentNotFound, invalidType, missingParam, operationNotSupported, WireError } from "./wire-errors.js";

type ModelRoute = Extract<Route, { kind: "classic" | "v1" | "v1-models" }>;

/** Names in Azure's 429 message, and in its OperationNotSupported message. */
const OPERATIONS: Readonly<Record<Operation, { quota: string; support: string }>> = {
  chat: { quota: "ChatCompletions_Create", support: "chatCompletion" },
  completions: { quota: "Completions_Create", support: "completion" },
  embeddings: { quota: "Embeddings_Create", support: "embeddings" },
};

export async function serveModelRoute(ex: Exchange, state: EmulatorState, route: ModelRoute): Promise<void> {
  if (ex.record) ex.record.apiVersion = route.apiVersion;
  const denied = state.keys.check(ex.req.headers, route.kind !== "classic");
  if (denied) return ex.error(denied);
  if (route.kind === "v1-models") return ex.json(200, state.modelList);

  let deployment: DeploymentInfo | undefined;
  if (route.kind === "classic") {
    if (ex.record) ex.record.deployment = route.deployment;
    deployment = state.deployments.get(route.deployment);
    if (!deployment) return ex.error(deploymentNotFound());
  }
  const raw = await readBody(ex.req);
  if (raw === undefined) return;
  if (raw instanceof WireError) return ex.error(raw);
  const body = parseJsonObject(raw);
  if (body instanceof WireError) return ex.error(body);
  const stream = route.operation !== "embeddings" && body.stream === true;
  if (ex.record) {
    ex.record.body = body;
    ex.record.stream = stream;
  }
  if (!deployment) {
    // v1: the body's `model` names the deployment.
    const named = deploymentOf(ex, state, body);
    if (named instanceof WireError) return ex.error(named);
    deployment = named;
  }
  ex.origin = deployment.origin;

  const operation = OPERATIONS[route.operation];
  const fault = await takeFault(ex, state, deployment.name, operation.quota, route.apiVersion, stream);
  if (fault === "answered") return;
  if (!servesOperation(deployment.model, route.operation)) return ex.error(operationNotSupported(operation.support, deployment.model));
  const classicVersion = route.kind === "classic" ? route.apiVersion : undefined;

  switch (route.operation) {
    case "embeddings": {
      const answer = state.embeddings.answer(body, deployment.model);
      if (answer instanceof WireError) return ex.error(answer);
      const usage = { prompt_tokens: answer.promptTokens, completion_tokens: 0, total_tokens: answer.promptTokens };
      if (ex.record) ex.record.usage = usage;
      return ex.json(200, answer.body, state.meter.note(deployment.name, answer.promptTokens));
    }
    case "completions":
      return serveCompletions(ex, state, deployment, body, classicVersion, fault.resetAfter);
    case "chat":
      return serveChat(ex, state, deployment, body, classicVersion, fault.resetAfter);
  }
}

/** The deployment a body's `model` names (v1 and Responses routes), recorded before it is known to exist. */
export function deploymentOf(ex: Exchange, state: EmulatorState, body: JsonObject): DeploymentInfo | WireError {
  if (body.model === undefined || body.model === null) return missingParam("model");
  if (typeof body.model !== "string") return invalidType("model", "a string", body.model);
  if (ex.record) ex.record.deployment = body.model;
  return state.deployments.get(body.model) ?? deploymentNotFound();
}

/** Embedding models only embed, instruct models only complete, and every other model serves chat (and Responses). */
export function servesOperation(model: string, operation: Operation | "responses"): boolean {
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
  // What Azure bills, even if the client never asked for (or never reads) the usage chunk.
  const { prompt_tokens, completion_tokens, total_tokens } = usage;
  if (ex.record) ex.record.usage = { prompt_tokens, completion_tokens, total_tokens };
  const completion: Completion = {
    id: `chatcmpl-${randomId(29)}`,
    created: Math.floor(Date.now() / 1000),
    snapshot: deployment.snapshot,
    fingerprint: deployment.fingerprint,
    choices,
    usage,
  };
  const answer = {
    stream: plan.stream,
    longestChoice: Math.max(0, ...choices.map((c) => c.pieces.length)),
    unaryBody: () => unaryBody(completion),
    frames: () => streamFrames(completion, plan.includeUsage),
  };
  await deliverPaced(ex, state, answer, state.meter.note(deployment.name, usage.total_tokens), resetAfter);
}
