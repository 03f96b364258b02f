// Legacy completions (instruct models): words continue each prompt, with the usage Azure would bill.
import { bill } from "./billing.js";
import { randomId } from "./chat-answer.js";
import { readCompletionsRequest } from "./completions-request.js";
import { completionFrames, unaryCompletionBody, type TextChoice, type TextCompletion } from "./completions-wire.js";
import type { DeploymentInfo, EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import type { JsonObject } from "./json-body.js";
import { deliverPaced, pacedAnswer } from "./paced-answer.js";
import { completionWords } from "./tokens.js";
import { WireError } from "./wire-errors.js";

export async function serveCompletions(
  ex: Exchange,
  state: EmulatorState,
  deployment: DeploymentInfo,
  body: JsonObject,
  classicVersion: string | undefined,
  resetAfter: number | undefined,
): Promise<void> {
  const plan = readCompletionsRequest(body, classicVersion);
  if (plan instanceof WireError) return ex.error(plan);
  const natural = state.timing.answerWords;
  const wordCount = Math.min(plan.maxTokens, natural);
  const choices: TextChoice[] = [];
  plan.prompts.forEach((prompt, p) => {
    for (let i = 0; i < plan.n; i++) {
      // A completion continues its prompt, so every word comes with its leading space.
      const pieces = completionWords(plan.promptTokens, p * plan.n + i, wordCount).map((word) => ` ${word}`);
      if (plan.echo) pieces[0] = `${prompt}${pieces[0] ?? ""}`;
      choices.push({ finishReason: wordCount < natural ? "length" : "stop", pieces });
    }
  });
  const completionTokens = wordCount * choices.length;
  const billed = { prompt_tokens: plan.promptTokens, completion_tokens: completionTokens, total_tokens: plan.promptTokens + completionTokens };
  const cached = state.promptCache.cachedTokens(deployment.name, plan.promptTokens, plan.prompt);
  const usage: TextCompletion["usage"] = cached > 0 ? { ...billed, prompt_tokens_details: { cached_tokens: cached } } : billed;
  const completion: TextCompletion = {
    id: `cmpl-${randomId(29)}`,
    created: Math.floor(Date.now() / 1000),
    snapshot: deployment.snapshot,
    prompts: plan.prompts.length,
    choices,
    usage,
  };
  const remaining = bill(ex, state, deployment.name, billed);
  await deliverPaced(ex, state, pacedAnswer(completion, plan, unaryCompletionBody, completionFrames), remaining, resetAfter);
}
