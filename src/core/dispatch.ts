// The terminal handler: answers catalog calls itself, sends the rest to their deployments in order, failing over while nothing has reached the client.
import { readsParsed, type CallContext } from "./context.js";
import { topLevelMember } from "./json-member.js";
import type { Deployment } from "./deployments.js";
import { GatewayError, toGatewayError } from "./errors.js";
import { notFoundOf, type Call } from "./operation.js";
import { required, type Terminal } from "./pipeline.js";
import type { Upstream } from "./ports.js";
import { relayStream } from "./relay.js";
import { settledAfterSend, type Result } from "./results.js";
import type { Router } from "./router.js";
import type { AttemptOutcome } from "./routing/member-health.js";
import { mayUse } from "./model-access.js";
import { closedReason } from "./reasons.js";

/** What telemetry hears of each upstream attempt: metadata only (members, outcomes, reasons, timings). */
export interface AttemptObserver {
  attempt(ctx: CallContext, d: Deployment, outcome: AttemptOutcome["kind"], latencyMs: number): void;
  failover(ctx: CallContext, from: Deployment, to: Deployment, reason: string): void;
}

// A failover needs at least this much of the caller's deadline left to be worth starting.
const MIN_BUDGET_MS = 50;

export function dispatch(upstream: Upstream, router: Router, observer?: AttemptObserver): Terminal {
  const once = async (call: Call, ctx: CallContext, d: Deployment): Promise<Result> => {
    const opts = { signal: ctx.signal, requestId: ctx.requestId };
    const req = call.op.upstream(call, d);
    const shape = call.op.stream;
    if (call.stream && shape) return relayStream(await upstream.stream(d, req, opts), shape, call, ctx);
    const reply = await upstream.unary(d, req, opts);
    // HTTP sends Azure's bytes on: an answer whose usage is all the gateway reads is not parsed whole (reply.json parses).
    const usage = call.op.readsOnlyUsage && !readsParsed(ctx) ? topLevelMember(reply.raw, "usage") : undefined;
    const answer = usage ? { usage } : reply.json;
    const settled = settledAfterSend({ outcome: "ok", usage: call.op.usage(answer), object: call.op.object(answer) });
    return {
      kind: "unary",
      raw: reply.raw,
      get json() {
        return reply.json;
      },
      upstream: reply.info,
      settled,
    };
  };

  /** One attempt on `d`, its outcome reported to the member's health (and a stream's, when it ends). */
  const attempt = async (call: Call, ctx: CallContext, d: Deployment): Promise<Result> => {
    ctx.deployment = d;
    ctx.attempts += 1;
    const end = router.begin(d);
    const started = performance.now();
    let result: Result;
    try {
      result = await once(call, ctx, d);
    } catch (err) {
      end();
      const e = toGatewayError(err);
      const outcome = verdict(e, ctx);
      if (outcome) {
        router.report(d, outcome);
        observer?.attempt(ctx, d, outcome.kind, performance.now() - started);
      }
      throw e;
    }
    const latencyMs = performance.now() - started;
    router.report(d, { kind: "ok", latencyMs });
    observer?.attempt(ctx, d, "ok", latencyMs);
    // A stream counts in flight until it ends; one the upstream cuts counts against the member.
    void result.settled.then((s) => {
      end();
      if (s.error && azureFailed(s.error)) router.report(d, { kind: "failed" });
    });
    return result;
  };

  const handle = async (call: Call, ctx: CallContext): Promise<Result> => {
    const catalog = call.op.catalog;
    if (catalog) {
      const caller = required(ctx.caller, "caller");
      const models = router.models().filter((m) => mayUse(caller, m.id));
      return { kind: "local", json: catalog(call, models), upstream: undefined, settled: settledAfterSend({ outcome: "ok" }) };
    }
    if (ctx.targets.length === 0) throw new GatewayError("internal", "No deployment was chosen for the call.");
    let last: GatewayError | undefined;
    let previous: Deployment | undefined;
    for (const d of ctx.targets) {
      if (previous) {
        if (ctx.attempts >= router.routing.maxAttempts || ctx.signal.aborted) break;
        if (ctx.deadline !== undefined && ctx.deadline - performance.now() < MIN_BUDGET_MS) break;
        // The plan is a moment old: another call may have opened this member's breaker since.
        if (!router.available(d)) continue;
        observer?.failover(ctx, previous, d, last ? closedReason(last) : "failed");
      }
      try {
        return await attempt(call, ctx, d);
      } catch (err) {
        last = toGatewayError(err);
        // An object lives on one resource: Azure's 404 there means it is gone, answered like an id never seen.
        if (call.op.kind === "object" && last.reason === "upstream_deployment_not_found") throw notFoundOf(call);
        if (!last.retryable || ctx.signal.aborted) throw last;
        previous = d;
      }
    }
    throw exhausted(last, ctx, router);
  };
  return { needs: ["caller", "targets"], handle };
}

/** What an attempt's failure says of the member: throttled, failing, or nothing (the client's own error, a cancel). */
function verdict(e: GatewayError, ctx: CallContext): AttemptOutcome | undefined {
  if (ctx.signal.aborted || e.code === "cancelled") return undefined;
  if (e.code === "rate_limited" && e.retryable) return { kind: "throttled", retryAfterMs: e.retryAfterMs };
  // Retryable failures of the gateway's own (an Entra token that cannot be had) fail over too, but the request never
  // left, so they say nothing of Azure's health: the token source serves again the moment a token comes, with no breaker to wait out.
  if (e.retryable && azureFailed(e)) return { kind: "failed" };
  return { kind: "neutral" };
}

/** Azure's own failure: an error status, no answer in time, or a stream it cut. */
function azureFailed(e: GatewayError): boolean {
  return e.code === "bad_gateway" || e.code === "upstream_timeout";
}

/**
 * Every member tried (or out of attempts or time). A 429 stays a 429 (Azure's throttling, with its
 * retry hint). When failures have left no member free (every one cooling or its breaker open) the
 * pool is down: 503 with the soonest member's return as retry-after. Otherwise the last failure as it was.
 */
function exhausted(last: GatewayError | undefined, ctx: CallContext, router: Router): GatewayError {
  if (!last) return new GatewayError("internal", "No deployment answered.");
  if (!azureFailed(last)) return last;
  const now = Date.now();
  if (ctx.targets.some((d) => router.available(d, now))) return last;
  return new GatewayError("unavailable", "No deployment could serve the request right now; retry later.", {
    reason: "no_deployment_available",
    retryAfterMs: router.soonestReturnMs(ctx.targets, now),
    cause: last,
  });
}
