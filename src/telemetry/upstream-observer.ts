// Upstream attempts as metrics and log lines: which member, what outcome, how long; failovers named at info. Metadata only.
import { metrics, type ObservableResult } from "@opentelemetry/api";
import type { AttemptObserver } from "../core/dispatch.js";
import type { Router } from "../core/router.js";
import type { MemberState } from "../core/routing/member-health.js";
import { LabelSets } from "./label-sets.js";
import { LocalCounter } from "./local-counter.js";
import type { Logger } from "./logger.js";

const STATES = ["healthy", "cooling", "open", "half_open"] as const satisfies readonly MemberState[];

/** Deployment labels stay bounded through `router.label` (configured ids only; env-only wildcard names are "other"). */
export function upstreamObserver(logger: Logger, router: Router): AttemptObserver {
  const meter = metrics.getMeter("ai-k");
  const attempts = new LocalCounter(meter, "aik.upstream.attempts", { description: "Upstream attempts by deployment and outcome (ok, throttled, failed, neutral)" });
  const latency = meter.createHistogram("aik.upstream.latency", { unit: "ms", description: "Time to the first byte of each successful upstream attempt, by deployment" });
  // Per deployment label: its latency attributes, and its attempt counts by outcome (a closed set).
  const labelSets = new LabelSets((deployment) => ({
    latency: Object.freeze({ deployment }),
    attempts: new LabelSets((outcome) => attempts.series(`${deployment}\u0000${outcome}`, () => ({ deployment, outcome }))),
  }));
  // 1 for each member's current state, 0 for the others: one series per (deployment, state), never more.
  meter.createObservableGauge("aik.deployment.state", { description: "Each deployment's health on this replica (1: in that state)" }).addCallback((result: ObservableResult) => {
    for (const s of router.states()) {
      for (const state of STATES) result.observe(s.state === state ? 1 : 0, { deployment: router.label(s.id), state });
    }
  });
  return {
    attempt(_ctx, d, outcome, latencyMs) {
      const labels = labelSets.get(router.label(d.id));
      labels.attempts.get(outcome).value += 1;
      if (outcome === "ok") latency.record(latencyMs, labels.latency);
    },
    failover(ctx, from, to, reason) {
      logger.info("upstream.failover", { request_id: ctx.requestId, from: router.label(from.id), to: router.label(to.id), reason, attempt: ctx.attempts + 1 });
    },
  };
}
