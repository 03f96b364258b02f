// Creates a response: validates, answers unary, streamed or in the background, and keeps it unless store is false.
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { takeFault } from "./fault-outcome.js";
import { parseJsonObject, readBody } from "./json-body.js";
import { deploymentOf, servesOperation } from "./model-calls.js";
import { isReasoningModel } from "./models.js";
import { SSE_CONTENT_TYPE } from "./paced-answer.js";
import { buildEvents, sendEvents } from "./responses-events.js";
import { itemId } from "./responses-input.js";
import { responseBody } from "./responses-object.js";
import { readResponsesRequest, type ResponsesPlan } from "./responses-request.js";
import { answerResponse, publicUsage, QUEUED, ResponseRun, type TokenUsage } from "./responses-run.js";
import type { ResponsesRoute } from "./routes.js";
import { operationNotSupported, WireError } from "./wire-errors.js";
import type { Remaining } from "./wire-headers.js";

export async function createResponse(ex: Exchange, state: EmulatorState, route: ResponsesRoute): Promise<void> {
  const raw = await readBody(ex.req);
  if (raw === undefined) return;
  if (raw instanceof WireError) return ex.error(raw);
  const body = parseJsonObject(raw);
  if (body instanceof WireError) return ex.error(body);
  const stream = body.stream === true;
  if (ex.record) {
    ex.record.body = body;
    ex.record.stream = stream;
  }
  const deployment = deploymentOf(ex, state, body);
  if (deployment instanceof WireError) return ex.error(deployment);
  ex.origin = deployment.origin;
  const fault = await takeFault(ex, state, deployment.name, "Responses_Create", route.apiVersion, stream);
  if (fault === "answered") return;
  if (!servesOperation(deployment.model, "responses")) return ex.error(operationNotSupported("responses", deployment.model));

  const reasoning = isReasoningModel(deployment.model);
  const plan = readResponsesRequest(body, {
    reasoningModel: reasoning,
    previousTokens: (id) => state.responses.get(id)?.billedTokens(),
  });
  if (plan instanceof WireError) return ex.error(plan);
  const cached = state.promptCache.cachedTokens(deployment.name, plan.inputTokens, plan.prompt);
  const answer = answerResponse(plan, reasoning, state.timing.answerWords, cached);
  const now = Date.now();
  const meta = { id: itemId("resp"), createdAt: Math.floor(now / 1000), background: plan.background, model: deployment.snapshot, echo: plan.echo };
  const run = new ResponseRun(meta, answer, now, state.timing);
  if (ex.record) ex.record.responseId = meta.id;

  const events = plan.stream || plan.background ? buildEvents(run) : undefined;
  const stored = plan.store ? state.responses.add(run, deployment.name, plan.input.items, plan.background ? events : undefined) : undefined;
  const final = run.finalUsage;
  const record = ex.record;
  const bill = (usage: TokenUsage): void => {
    if (record) record.usage = publicUsage(usage);
  };
  // A background run is billed when it ends (or is cancelled); anything else as soon as it is answered.
  if (stored && plan.background) stored.settleWith(bill);
  else bill(final);
  const remaining = state.meter.note(deployment.name, final.input + final.output);

  if (!plan.stream || !events) return answerUnary(ex, run, plan, remaining);
  if (ex.gone) return;
  ex.head(200, SSE_CONTENT_TYPE, remaining);
  // A background run goes on after the client leaves: its state follows the clock, not this connection.
  await sendEvents(ex, events, stored, -1, fault.resetAfter);
}

async function answerUnary(ex: Exchange, run: ResponseRun, plan: ResponsesPlan, remaining: Remaining): Promise<void> {
  if (plan.background) return ex.json(200, responseBody(run, QUEUED), remaining);
  // A unary answer arrives when the stream would have finished: same generation time either way.
  await ex.pacer.sleep(run.finishAt - Date.now());
  return ex.json(200, responseBody(run, run.finalView), remaining);
}
