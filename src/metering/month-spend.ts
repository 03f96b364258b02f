// This month's metered spend per user, per key and per team, from the daily rollup: what budgets are held to.
import type postgres from "postgres";

export interface SubjectSpend {
  readonly kind: "user" | "key" | "team";
  readonly id: string;
  /** The owning user: the limiter keeps a subject's state under its user. */
  readonly userId: string;
  readonly microUsd: number;
  /** A team key's team (kind "key" only): on a Redis Cluster its state lives under the team's tag. */
  readonly teamId?: string | undefined;
}

/** Every user, key and team with spend since `monthStart` (UTC), one indexed scan of the rollup (an empty key_id is a token's: no key). */
export async function monthSpend(sql: postgres.Sql, monthStart: Date): Promise<SubjectSpend[]> {
  const day = monthStart.toISOString().slice(0, 10);
  const rows = await sql<Array<{ kind: string; id: string; user_id: string; team_id: string | null; micro_usd: string }>>`
    select 'user' as kind, user_id as id, user_id, null as team_id, sum(cost_micro_usd)::text as micro_usd
      from usage_daily where day >= ${day}::date group by user_id
    union all
    select 'key' as kind, key_id as id, min(user_id) as user_id, max(team_id) as team_id, sum(cost_micro_usd)::text as micro_usd
      from usage_daily where day >= ${day}::date and key_id <> '' group by key_id
    union all
    select 'team' as kind, team_id as id, min(user_id) as user_id, null as team_id, sum(cost_micro_usd)::text as micro_usd
      from usage_daily where day >= ${day}::date and team_id is not null group by team_id`;
  return rows.map((r) => ({
    kind: r.kind === "user" || r.kind === "team" ? r.kind : "key",
    id: r.id,
    userId: r.user_id,
    microUsd: Number(r.micro_usd),
    ...(r.team_id ? { teamId: r.team_id } : {}),
  }));
}
