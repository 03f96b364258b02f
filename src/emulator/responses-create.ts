// Creates a response: validates, answers unary, streamed or in the background, and keeps it unless store is false.
import { bill } from "./billing.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { openModelCall } from "./model-calls.js";
import { isReasoningModel } from "./models.js";
import { SSE_CONTENT_TYPE } from "./paced-answer.js";
import { buildEvents, sendEvents } from "./responses-events.js";
import { itemId } from "./responses-input.js";
import { responseBody } from "./responses-object.js";
import { readResponsesRequest, type ResponsesPlan } from "./responses-request.js";
import { answerResponse, publicUsage, QUEUED, ResponseRun } from "./responses-run.js";
import type { ResponsesRoute } from "./routes.js";
import { WireError } from "./wire-errors.js";
import type { Remaining } from "./wire-headers.js";

export async function createResponse(ex: Exchange, state: EmulatorState, route: ResponsesRoute): Promise<void> {
  const call = await openModelCall(ex, state, "responses", route.apiVersion);
  if (!call) return;
  const { body, deployment } = call;

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
  const final = publicUsage(run.finalUsage);
  let remaining: Remaining;
  if (stored && plan.background) {
    // A background run goes in the log as billed when it ends (or is cancelled); the rate meter counts it at once.
    const record = ex.record;
    stored.settleWith((usage) => {
      if (record) record.usage = publicUsage(usage);
    });
    remaining = state.meter.note(deployment.name, final.total_tokens);
  } else {
    remaining = bill(ex, state, deployment.name, final);
  }

  if (!plan.stream || !events) return answerUnary(ex, run, plan, remaining);
  if (ex.gone) return;
  ex.head(200, SSE_CONTENT_TYPE, remaining);
  // A background run goes on after the client leaves: its state follows the clock, not this connection.
  await sendEvents(ex, events, stored, -1, call.resetAfter);
}

async function answerUnary(ex: Exchange, run: ResponseRun, plan: ResponsesPlan, remaining: Remaining): Promise<void> {
  if (plan.background) return ex.json(200, responseBody(run, QUEUED), remaining);
  // A unary answer arrives when the stream would have finished: same generation time either way.
  await ex.pacer.sleep(run.finishAt - Date.now());
  return ex.json(200, responseBody(run, run.finalView), remaining);
}
