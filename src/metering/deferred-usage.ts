// Background responses: their usage record waits in Postgres until AI-K first sees them finished, then is written once.
import type postgres from "postgres";
import type { ObjectState } from "../core/operation.js";
import { NO_USAGE } from "../core/usage-estimate.js";
import type { Usage } from "../core/usage.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import { usageRecord, type Protocol, type UsageRecord } from "./record.js";

/** The usage record's metadata, known when the background response was created. */
interface PendingUsage {
  readonly objectId: string;
  readonly requestId: string;
  readonly occurredAt: Date;
  readonly userId: string;
  readonly keyId: string;
  readonly model: string;
  readonly deploymentId: string;
  readonly region: string | null;
  readonly protocol: Protocol;
  readonly streamed: boolean;
  readonly teamId: string | null;
  /**
   * Recorded (marked estimated) only when Azure's count cannot be had: the rough prompt guess admission
   * also makes, and the caller's max output tokens or the configured default. Not admission's reservation,
   * which multiplies output by `n` and cuts the default to the TPM limit.
   */
  readonly estimatedPrompt: number;
  readonly estimatedOutput: number;
}

/** Reads the object upstream (where it lives); "gone" when Azure no longer has it. */
export type Probe = (objectId: string, deploymentId: string) => Promise<ObjectState | "gone">;

interface DeferredUsageOptions {
  readonly record: (r: UsageRecord) => void;
  readonly cost: (deploymentId: string, usage: Usage) => number;
  readonly logger: Logger;
  /** Reads a background response upstream: by the sweeper, and before a delete so its usage is not lost. */
  readonly probe: Probe;
  /** How often the sweeper polls background responses nobody has polled. */
  readonly sweepMs: number;
  /** Past this age an unfinished one is recorded with its estimate. */
  readonly maxAgeMs: number;
}

interface Row {
  object_id: string;
  request_id: string;
  occurred_at: Date;
  user_id: string;
  key_id: string;
  model: string;
  deployment_id: string;
  region: string | null;
  protocol: string;
  streamed: boolean;
  team_id: string | null;
  estimated_prompt: number;
  estimated_output: number;
}

const SWEEP_BATCH = 50;

export class DeferredUsage {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly o: DeferredUsageOptions,
  ) {}

  /**
   * Remembers the record until the response finishes. When Postgres cannot take it, the estimate is
   * recorded now instead (marked estimated): a background response is never left unmetered.
   */
  async defer(p: PendingUsage): Promise<void> {
    try {
      await this.sql`
        insert into pending_usage (object_id, request_id, occurred_at, user_id, key_id, model, deployment_id, region, protocol, streamed,
                                   team_id, estimated_prompt, estimated_output, check_after)
        values (${p.objectId}, ${p.requestId}, ${p.occurredAt}, ${p.userId}, ${p.keyId}, ${p.model}, ${p.deploymentId}, ${p.region},
                ${p.protocol}, ${p.streamed}, ${p.teamId}, ${p.estimatedPrompt}, ${p.estimatedOutput}, now() + ${this.o.sweepMs} * interval '1 millisecond')
        on conflict (object_id) do nothing`;
    } catch (err) {
      this.o.logger.warn("metering.defer_failed", { request_id: p.requestId, ...errorFields(err) });
      this.write(p, "ok", estimateOf(p), true);
    }
  }

  /** An answer showed the object finished: the replica that claims its row records it, once. */
  async finished(state: ObjectState): Promise<void> {
    if (!state.finished) return;
    const p = await this.claim(state.id);
    if (p) this.write(p, state.outcome, state.usage ?? NO_USAGE, state.usage === undefined);
  }

  /** Before a pending object is deleted: read it once more so its usage is not lost with it. */
  async settleBefore(objectId: string): Promise<void> {
    const p = await this.claim(objectId);
    if (!p) return;
    const state = await this.o.probe(objectId, p.deploymentId).catch(() => "gone" as const);
    if (state !== "gone" && state.usage) this.write(p, state.finished ? state.outcome : "client_cancelled", state.usage, false);
    else this.write(p, "client_cancelled", estimateOf(p), true);
  }

  /** Polls, now and then, the background responses no client has polled to the end. */
  startSweeper(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, this.o.sweepMs);
    this.timer.unref();
  }

  /** One pass: leases due rows (skipping rows another replica holds), reads each upstream. */
  private async sweep(): Promise<void> {
    let rows: Row[];
    try {
      rows = await this.sql<Row[]>`
        update pending_usage set attempts = attempts + 1,
               check_after = now() + least(attempts + 1, 10) * ${this.o.sweepMs} * interval '1 millisecond'
        where object_id in (select object_id from pending_usage where check_after <= now()
                            order by check_after limit ${SWEEP_BATCH} for update skip locked)
        returning *`;
    } catch (err) {
      this.o.logger.warn("metering.sweep_failed", errorFields(err));
      return;
    }
    for (const row of rows) {
      const p = pendingOf(row);
      const state = await this.o.probe(p.objectId, p.deploymentId).catch(() => undefined);
      if (state === undefined) continue;
      if (state !== "gone" && state.finished) await this.finished(state);
      else if (state === "gone" || Date.now() - p.occurredAt.getTime() > this.o.maxAgeMs) {
        const claimed = await this.claim(p.objectId);
        if (claimed) this.write(claimed, state === "gone" ? "error:not_found" : "error:unfinished", estimateOf(claimed), true);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async claim(objectId: string): Promise<PendingUsage | undefined> {
    const [row] = await this.sql<Row[]>`delete from pending_usage where object_id = ${objectId} returning *`;
    return row ? pendingOf(row) : undefined;
  }

  private write(p: PendingUsage, outcome: string, usage: Usage, estimated: boolean): void {
    this.o.record(
      usageRecord(p, {
        outcome,
        usage,
        costMicroUsd: this.o.cost(p.deploymentId, usage),
        latencyMs: Math.min(2_147_483_647, Math.max(0, Date.now() - p.occurredAt.getTime())),
        ttftMs: null,
        estimated,
      }),
    );
  }
}

function estimateOf(p: PendingUsage): Usage {
  return { ...NO_USAGE, promptTokens: p.estimatedPrompt, completionTokens: p.estimatedOutput };
}

function pendingOf(r: Row): PendingUsage {
  return {
    objectId: r.object_id,
    requestId: r.request_id,
    occurredAt: r.occurred_at,
    userId: r.user_id,
    keyId: r.key_id,
    model: r.model,
    deploymentId: r.deployment_id,
    region: r.region,
    protocol: r.protocol === "grpc" ? "grpc" : "http",
    streamed: r.streamed,
    teamId: r.team_id ?? null,
    estimatedPrompt: r.estimated_prompt,
    estimatedOutput: r.estimated_output,
  };
}
