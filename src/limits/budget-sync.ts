// Keeps the limiter's monthly spend at least at what metering recorded, so a Redis restart cannot reset a budget.
import { errorFields, type Logger } from "../telemetry/logger.js";
import { teamTag, type Limiter } from "./limiter.js";

export interface MeteredSpend {
  readonly kind: "user" | "key" | "team";
  readonly id: string;
  readonly userId: string;
  readonly microUsd: number;
  /** A team key's team: with sharedTeamSlot its counters live under the team's tag (see limits-step). */
  readonly teamId?: string | undefined;
}

/**
 * Budgets are checked against the limiter's counter (one Redis round trip at admission); that
 * counter moves as reservations settle. Metering in Postgres is the bill: every `intervalMs` its
 * month-to-date spend raises any counter that fell behind (lost with a Redis restart, or kept in
 * another replica's memory during an outage). It may lag the bill by that interval.
 */
export class BudgetSync {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;

  constructor(
    private readonly limiter: Limiter,
    private readonly metered: (monthStart: Date) => Promise<readonly MeteredSpend[]>,
    private readonly logger: Logger,
    intervalMs = 30_000,
    private readonly sharedTeamSlot = false,
  ) {
    this.timer = setInterval(() => void this.sync(), intervalMs);
    this.timer.unref();
  }

  sync(now = new Date()): Promise<void> {
    this.running ??= this.once(now).finally(() => (this.running = undefined));
    return this.running;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async once(now: Date): Promise<void> {
    try {
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      for (const s of await this.metered(monthStart)) {
        const partition = this.sharedTeamSlot && s.teamId !== undefined ? teamTag(s.teamId) : s.userId;
        await this.limiter.raiseSpend({ kind: s.kind, id: s.id, partition }, s.microUsd, now.getTime());
      }
    } catch (err) {
      this.logger.warn("limits.budget_sync_failed", errorFields(err));
    }
  }
}
