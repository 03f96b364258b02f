// Serves Azure's model routes: credential, deployment, faults, then chat, embeddings or the model list.
import type { Fault } from "./api.js";
import { answerChoices, randomId, usageFor } from "./chat-answer.js";
import { readChatRequest } from "./chat-request.js";
import { writeStream } from "./chat-stream.js";
import { streamFrames, unaryBody, type Completion } from "./chat-wire.js";
import type { EmulatorState, DeploymentInfo } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { parseJsonObject, readBody, type JsonObject } from "./json-body.js";
import { isEmbeddingModel, isReasoningModel } from "./models.js";
import type { Route } from "./routes.js";
import {
  accessDenied,
  deploymentNotFound,
  invalidType,
  missingParam,
  operationNotSupported,
  promptBlocked,
  rateLimited,
  serverError,
  unavailable,
  WireError,
} from "./wire-errors.js";

type ModelRoute = Extract<Route, { kind: "classic" | "v1" | "v1-models" }>;

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
  const stream = route.operation === "chat" && body.stream === true;
  if (ex.record) {
    ex.record.body = body;
    ex.record.stream = stream;
  }
  if (!deployment) {
    // v1: the body's `model` names the deployment.
    if (body.model === undefined || body.model === null) return ex.error(missingParam("model"));
    if (typeof body.model !== "string") return ex.error(invalidType("model", "a string", body.model));
    if (ex.record) ex.record.deployment = body.model;
    deployment = state.deployments.get(body.model);
    if (!deployment) return ex.error(deploymentNotFound());
  }
  ex.origin = deployment.origin;

  const operation = route.operation === "chat" ? "ChatCompletions_Create" : "Embeddings_Create";
  let resetAfter: number | undefined;
  const fault = state.faults.take(deployment.name);
  if (fault) {
    const outcome = await applyFault(ex, fault, operation, route.apiVersion, stream);
    if (outcome === "answered") return;
    resetAfter = outcome.resetAfter;
  }

  if (route.operation === "embeddings") {
    if (!isEmbeddingModel(deployment.model)) return ex.error(operationNotSupported("embeddings", deployment.model));
    const answer = state.embeddings.answer(body, deployment.model);
    if (answer instanceof WireError) return ex.error(answer);
    const usage = { prompt_tokens: answer.promptTokens, completion_tokens: 0, total_tokens: answer.promptTokens };
    if (ex.record) ex.record.usage = usage;
    return ex.json(200, answer.body, state.meter.note(deployment.name, answer.promptTokens));
  }
  if (isEmbeddingModel(deployment.model)) return ex.error(operationNotSupported("chatCompletion", deployment.model));
  return serveChat(ex, state, deployment, body, route.kind === "classic" ? route.apiVersion : undefined, resetAfter);
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
  const cached = state.promptCache.cachedTokens(
    plan.promptTokens,
    () => `${deployment.name}\n${JSON.stringify(body.messages)}\n${JSON.stringify(body.tools ?? null)}`,
  );
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
  const remaining = state.meter.note(deployment.name, usage.total_tokens);
  const timing = state.timing;

  if (!plan.stream) {
    // A unary answer arrives when the stream would have finished: same generation time either way.
    const chunks = Math.max(0, ...choices.map((c) => c.pieces.length));
    await ex.pacer.sleep(timing.timeToFirstTokenMs + timing.chunkDelayMs * Math.max(0, chunks - 1));
    return ex.json(200, unaryBody(completion), remaining);
  }
  if (ex.gone) return;
  ex.head(200, "text/event-stream; charset=utf-8", remaining);
  const pacing = { timeToFirstTokenMs: timing.timeToFirstTokenMs, chunkDelayMs: timing.chunkDelayMs, resetAfter };
  const record = ex.record;
  const progress = (sent: number): void => {
    if (record) record.chunksSent = sent;
  };
  await writeStream(ex.res, streamFrames(completion, plan.includeUsage), pacing, ex.pacer, () => ex.resetting(), progress);
}

type FaultOutcome = "answered" | { resetAfter: number | undefined };

async function applyFault(
  ex: Exchange,
  fault: Fault,
  operation: string,
  apiVersion: string | undefined,
  stream: boolean,
): Promise<FaultOutcome> {
  switch (fault.kind) {
    case "rate-limit":
      ex.error(rateLimited(fault.retryAfterMs, operation, apiVersion), { requests: 0, tokens: 0 });
      return "answered";
    case "server-error":
      ex.error(serverError());
      return "answered";
    case "unavailable":
      ex.error(unavailable());
      return "answered";
    case "content-filter":
      ex.error(promptBlocked());
      return "answered";
    case "unauthorized":
      ex.error(accessDenied());
      return "answered";
    case "reset-mid-stream":
      if (stream) return { resetAfter: fault.afterChunks };
      ex.reset();
      return "answered";
    case "slow-headers":
      await ex.pacer.sleep(fault.delayMs);
      return ex.gone ? "answered" : { resetAfter: undefined };
  }
}
