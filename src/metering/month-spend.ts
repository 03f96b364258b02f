// This month's metered spend per user and per key, from the daily rollup: what budgets are held to.
import type postgres from "postgres";

export interface SubjectSpend {
  readonly kind: "user" | "key";
  readonly id: string;
  /** The owning user: the limiter keeps a subject's state under its user. */
  readonly userId: string;
  readonly microUsd: number;
}

/** Every user and key with spend since `monthStart` (UTC), one indexed scan of the rollup. */
export async function monthSpend(sql: postgres.Sql, monthStart: Date): Promise<SubjectSpend[]> {
  const day = monthStart.toISOString().slice(0, 10);
  const rows = await sql<Array<{ kind: string; id: string; user_id: string; micro_usd: string }>>`
    select 'user' as kind, user_id as id, user_id, sum(cost_micro_usd)::text as micro_usd
      from usage_daily where day >= ${day}::date group by user_id
    union all
    select 'key' as kind, key_id as id, min(user_id) as user_id, sum(cost_micro_usd)::text as micro_usd
      from usage_daily where day >= ${day}::date group by key_id`;
  return rows.map((r) => ({ kind: r.kind === "user" ? "user" : "key", id: r.id, userId: r.user_id, microUsd: Number(r.micro_usd) }));
}
