// The soft budget threshold: a warning once per subject and month when spend passes it (the cap itself is hard).
import type { Caller } from "../core/context.js";
import type { Limits } from "../core/limits.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import { monthOf } from "./calendar-month.js";
import type { Limiter, SubjectKind } from "./limiter.js";

const MAX_REMEMBERED = 100_000;
/** Spend is read at most this often per subject: a warning a few seconds late costs nothing, a read per request does. */
const CHECK_EVERY_MS = 5_000;

export class BudgetWatch {
  private readonly warned = new Set<string>();
  private readonly checkedAt = new Map<string, number>();

  constructor(
    private readonly limiter: Limiter,
    private readonly percent: number,
    private readonly logger: Logger,
  ) {}

  /** Reads spend only for subjects that have a budget, after the answer has gone out. */
  async check(caller: Caller, lastCost: number): Promise<void> {
    if (lastCost <= 0) return;
    await this.checkOne("user", caller.userId, caller.userId, caller.limits.user);
    if (caller.keyId !== undefined) await this.checkOne("key", caller.keyId, caller.userId, caller.limits.key);
    if (caller.teamId !== undefined && caller.limits.team) await this.checkOne("team", caller.teamId, caller.userId, caller.limits.team);
  }

  private async checkOne(kind: SubjectKind, id: string, partition: string, limits: Limits): Promise<void> {
    const budget = limits.monthlyBudgetMicroUsd;
    if (budget === undefined || budget === 0) return;
    const now = Date.now();
    const mark = `${kind}:${id}:${monthOf(now)}`;
    if (this.warned.has(mark)) return;
    if (now - (this.checkedAt.get(mark) ?? -Infinity) < CHECK_EVERY_MS) return;
    if (this.checkedAt.size >= MAX_REMEMBERED) this.checkedAt.clear();
    this.checkedAt.set(mark, now);
    try {
      const spent = await this.limiter.spent({ kind, id, partition });
      if (spent * 100 < budget * this.percent) return;
      if (this.warned.size >= MAX_REMEMBERED) this.warned.clear();
      this.warned.add(mark);
      this.logger.warn("limits.budget_soft_threshold", { subject: kind, id, spent_micro_usd: spent, budget_micro_usd: budget, percent: this.percent });
    } catch (err) {
      this.logger.debug("limits.budget_check_failed", errorFields(err));
    }
  }
}
