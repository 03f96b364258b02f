// One span, a few metrics and a debug access-log line per call, with metadata only: ids, model, deployment, outcome, tokens, timings.
import { metrics, SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import { toGatewayError } from "../core/errors.js";
import { closedReason } from "../core/reasons.js";
import type { Step } from "../core/pipeline.js";
import type { Usage } from "../core/usage.js";
import { LabelSets } from "./label-sets.js";
import { LocalCounter, type Series } from "./local-counter.js";
import type { Logger } from "./logger.js";

/** What one label combination records into: the duration's attributes, its request count, its token counts. */
interface CallLabels {
  readonly attributes: Attributes;
  readonly requests: Series;
  readonly prompt: Series;
  readonly completion: Series;
}

// Label values are configured names and closed sets, never free text, so none holds the separator.
const SEP = "\u0000";

/** `label` maps a model name to a bounded label: configured names as they are, anything a client typed as "other". */
export function observeStep(logger: Logger, label: (name: string | undefined) => string): Step {
  const tracer = trace.getTracer("ai-k");
  // Instruments are made once telemetry has started (main registers the meter provider first).
  const meter = metrics.getMeter("ai-k");
  const requests = new LocalCounter(meter, "aik.requests", { description: "Calls by operation, model, protocol and outcome" });
  const duration = meter.createHistogram("aik.request.duration", { unit: "ms", description: "Time from arrival to the end of the answer" });
  const tokens = new LocalCounter(meter, "aik.tokens", { description: "Tokens reported by Azure, by kind and model" });
  const labelSets = new LabelSets<CallLabels>((key) => {
    const [op = "", model = "", deployment = "", protocol = "", outcome = ""] = key.split(SEP);
    const attributes = Object.freeze({ op, model, deployment, protocol, outcome });
    return {
      attributes,
      requests: requests.series(key, () => attributes),
      prompt: tokens.series(`${key}${SEP}prompt`, () => ({ ...attributes, kind: "prompt" })),
      completion: tokens.series(`${key}${SEP}completion`, () => ({ ...attributes, kind: "completion" })),
    };
  });

  return {
    name: "observe",
    needs: [],
    gives: [],
    wrap: (next) => async (call, ctx) => {
      const span = tracer.startSpan(`aik.${call.op.name}`, {
        kind: SpanKind.SERVER,
        attributes: { "aik.request_id": ctx.requestId, "aik.protocol": ctx.protocol, "gen_ai.request.model": label(call.model) },
      });
      const finish = (outcome: string, usage: Usage | undefined, reason?: string): void => {
        // The deployment that answered (or was tried last): after a failover, not the first target.
        const deployment = ctx.deployment;
        // Metric labels stay bounded: configured model names only, never what a client typed.
        const deploymentLabel = label(deployment?.id);
        const labels = labelSets.get(`${call.op.name}${SEP}${label(deployment?.model)}${SEP}${deploymentLabel}${SEP}${ctx.protocol}${SEP}${outcome}`);
        if (usage) {
          labels.prompt.value += usage.promptTokens;
          labels.completion.value += usage.completionTokens;
        }
        // With tracing off (or the call not sampled) the span records nothing: its attributes are not even built.
        if (span.isRecording()) {
          const attributes: Attributes = { "aik.outcome": outcome, "aik.attempts": ctx.attempts };
          if (deployment) attributes["aik.deployment"] = deploymentLabel;
          if (ctx.caller) Object.assign(attributes, { "aik.user_id": ctx.caller.userId, "aik.key_id": ctx.caller.keyId });
          if (usage) Object.assign(attributes, { "gen_ai.usage.input_tokens": usage.promptTokens, "gen_ai.usage.output_tokens": usage.completionTokens });
          span.setAttributes(attributes);
          // The status names the failure by its code, never by a message that could quote a client's input.
          span.setStatus(outcome === "ok" ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: reason ?? outcome });
        }
        span.end();
        const ms = performance.now() - ctx.startedAt;
        labels.requests.value += 1;
        duration.record(ms, labels.attributes);
        // Failures that are the gateway's or Azure's, not the client's, are worth an operator's attention.
        const serious = outcome === "bad_gateway" || outcome === "upstream_timeout" || outcome === "unavailable" || outcome === "internal";
        (serious ? logger.warn : logger.debug)("request", {
          request_id: ctx.requestId,
          protocol: ctx.protocol,
          op: call.op.name,
          deployment: deployment ? deploymentLabel : undefined,
          attempts: ctx.attempts,
          key_id: ctx.caller?.keyId,
          outcome,
          ms: Math.round(ms),
          prompt_tokens: usage?.promptTokens,
          completion_tokens: usage?.completionTokens,
        });
      };
      try {
        const result = await next(call, ctx);
        void result.settled.then((s) => finish(s.error ? s.error.code : s.outcome, s.usage, s.error ? closedReason(s.error) : undefined));
        return result;
      } catch (err) {
        const e = toGatewayError(err);
        finish(e.code, undefined, closedReason(e));
        throw err;
      }
    },
  };
}

