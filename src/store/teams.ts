// SQL for teams and their members: rows in, typed records out.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { caseFolded } from "../core/case-fold.js";
import { GatewayError } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import { limitsFromRow, limitsToRow, type LimitColumns } from "./limit-columns.js";
import { pageOf, type PageCursor } from "./page-token.js";

export type TeamRole = "owner" | "member";

export interface TeamRecord {
  readonly id: string;
  readonly name: string;
  /** Unset fields: no team limit of that kind (a team inherits nothing). */
  readonly limits: Limits;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TeamMemberRecord {
  readonly teamId: string;
  readonly userId: string;
  readonly role: TeamRole;
  readonly addedAt: Date;
}

interface TeamRow extends LimitColumns {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

interface MemberRow {
  team_id: string;
  user_id: string;
  role: string;
  added_at: Date;
}

function team(r: TeamRow): TeamRecord {
  return { id: r.id, name: r.name, limits: limitsFromRow(r), createdAt: r.created_at, updatedAt: r.updated_at };
}

function member(r: MemberRow): TeamMemberRecord {
  return { teamId: r.team_id, userId: r.user_id, role: r.role === "owner" ? "owner" : "member", addedAt: r.added_at };
}

const TEAM_COLUMNS = "t.id, t.name, t.requests_per_minute, t.tokens_per_minute, t.max_concurrent_requests, t.monthly_budget_micro_usd, t.created_at, t.updated_at";

function nameTaken(err: unknown): GatewayError | undefined {
  if (err instanceof Error && "code" in err && err.code === "23505") {
    return new GatewayError("conflict", "A team with this name already exists.", { param: "name", reason: "already_exists" });
  }
  return undefined;
}

/** Works on the pool or inside a transaction (`sql.begin`). */
export class TeamStore {
  constructor(private readonly sql: postgres.ISql) {}

  async create(t: { name: string; limits: Limits }): Promise<TeamRecord> {
    const l = limitsToRow(t.limits);
    try {
      const [row] = await this.sql<TeamRow[]>`
        insert into teams as t (id, name, name_canonical, requests_per_minute, tokens_per_minute, max_concurrent_requests, monthly_budget_micro_usd)
        values (${randomUUID()}, ${t.name}, ${caseFolded(t.name)}, ${l.requests_per_minute}, ${l.tokens_per_minute}, ${l.max_concurrent_requests}, ${l.monthly_budget_micro_usd})
        returning ${this.sql.unsafe(TEAM_COLUMNS)}`;
      if (!row) throw new Error("insert returned no row");
      return team(row);
    } catch (err) {
      throw nameTaken(err) ?? err;
    }
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    const [row] = await this.sql<TeamRow[]>`select ${this.sql.unsafe(TEAM_COLUMNS)} from teams t where t.id = ${id}`;
    return row ? team(row) : undefined;
  }

  /** The row is locked until the transaction ends: what an audit row calls "old" is what was replaced. */
  async getForUpdate(id: string): Promise<TeamRecord | undefined> {
    const [row] = await this.sql<TeamRow[]>`select ${this.sql.unsafe(TEAM_COLUMNS)} from teams t where t.id = ${id} for update`;
    return row ? team(row) : undefined;
  }

  /** Oldest first; `memberId` narrows to the teams that user belongs to. */
  async list(memberId: string | undefined, limit: number, after: PageCursor | undefined): Promise<{ teams: TeamRecord[]; next: string }> {
    const sql = this.sql;
    const rows = await sql<TeamRow[]>`
      select ${sql.unsafe(TEAM_COLUMNS)} from teams t
      where true
        ${memberId ? sql`and exists (select 1 from team_members m where m.team_id = t.id and m.user_id = ${memberId})` : sql``}
        ${after ? sql`and (t.created_at, t.id) > (select created_at, id from teams where id = ${after.id})` : sql``}
      order by t.created_at, t.id
      limit ${limit + 1}`;
    const { items, next } = pageOf(rows, limit, team);
    return { teams: items, next };
  }

  /** Unset fields stay; `limits`, when given, replaces all four. */
  async update(id: string, change: { name?: string; limits?: Limits }): Promise<TeamRecord | undefined> {
    const sql = this.sql;
    const l = change.limits ? limitsToRow(change.limits) : undefined;
    try {
      const [row] = await sql<TeamRow[]>`
        update teams as t set
          name = coalesce(${change.name ?? null}, name),
          name_canonical = coalesce(${change.name === undefined ? null : caseFolded(change.name)}, name_canonical),
          ${
            l
              ? sql`requests_per_minute = ${l.requests_per_minute}, tokens_per_minute = ${l.tokens_per_minute},
                    max_concurrent_requests = ${l.max_concurrent_requests}, monthly_budget_micro_usd = ${l.monthly_budget_micro_usd},`
              : sql``
          }
          updated_at = now()
        where t.id = ${id}
        returning ${sql.unsafe(TEAM_COLUMNS)}`;
      return row ? team(row) : undefined;
    } catch (err) {
      throw nameTaken(err) ?? err;
    }
  }

  /** Owners first, then by when they joined. */
  async members(teamId: string): Promise<TeamMemberRecord[]> {
    const rows = await this.sql<MemberRow[]>`
      select team_id, user_id, role, added_at from team_members where team_id = ${teamId}
      order by role = 'owner' desc, added_at, user_id`;
    return rows.map(member);
  }

  /**
   * `lock`: held (FOR SHARE) until the transaction ends, so a removal waits for a team key being
   * made under this membership, and then revokes it too.
   */
  async membership(teamId: string, userId: string, lock = false): Promise<TeamMemberRecord | undefined> {
    const [row] = await this.sql<MemberRow[]>`
      select team_id, user_id, role, added_at from team_members where team_id = ${teamId} and user_id = ${userId}
      ${lock ? this.sql`for share` : this.sql``}`;
    return row ? member(row) : undefined;
  }

  /** Adds the user, or changes their role (added_at then says when it changed). */
  async upsertMember(teamId: string, userId: string, role: TeamRole): Promise<TeamMemberRecord> {
    const [row] = await this.sql<MemberRow[]>`
      insert into team_members (team_id, user_id, role) values (${teamId}, ${userId}, ${role})
      on conflict (team_id, user_id) do update set
        role = excluded.role,
        added_at = case when team_members.role = excluded.role then team_members.added_at else now() end
      returning team_id, user_id, role, added_at`;
    if (!row) throw new Error("upsert returned no row");
    return member(row);
  }

  async removeMember(teamId: string, userId: string): Promise<TeamMemberRecord | undefined> {
    const [row] = await this.sql<MemberRow[]>`
      delete from team_members where team_id = ${teamId} and user_id = ${userId}
      returning team_id, user_id, role, added_at`;
    return row ? member(row) : undefined;
  }
}
