// SQL for API keys: looked up by the SHA-256 of the whole key; the key itself is never stored.
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import type { Limits } from "../core/limits.js";
import { limitsFromRow, limitsToRow, type LimitColumns } from "./limit-columns.js";
import { pageOf, type PageCursor } from "./page-token.js";
import type { UserRole, UserStatus } from "./users.js";

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly allowedModels: readonly string[];
  /** The key's own limits (overrides); unset ones inherit the owner's. */
  readonly limits: Limits;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  readonly revokedAt: Date | undefined;
  /** After a rotation with a grace period: when the replaced secret stops working (undefined once it has, or on a revoked key). */
  readonly previousExpiresAt: Date | undefined;
  /** A team key's team (set at creation, never changed); undefined for a key of no team. */
  readonly teamId: string | undefined;
}

/** What authentication needs in one query: the key, its owner's status and the owner's limit overrides. */
export interface KeyWithOwner extends ApiKeyRecord {
  readonly ownerStatus: UserStatus;
  readonly ownerRole: UserRole;
  readonly ownerLimits: Limits;
  /** Set when the lookup matched the replaced secret: the moment it stops being accepted. */
  readonly secretExpiresAt: Date | undefined;
  /** A team key's team limits (unset fields: no team limit of that kind). */
  readonly teamLimits: Limits | undefined;
}

interface KeyRow extends LimitColumns {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  allowed_models: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  previous_expires_at: Date | null;
  team_id: string | null;
}

function record(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    allowedModels: r.allowed_models,
    limits: limitsFromRow(r),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at ?? undefined,
    expiresAt: r.expires_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
    previousExpiresAt: r.previous_expires_at ?? undefined,
    teamId: r.team_id ?? undefined,
  };
}

// A replaced secret's expiry is shown only while that secret still works.
const COLUMNS =
  "k.id, k.user_id, k.name, k.prefix, k.allowed_models, k.created_at, k.last_used_at, k.expires_at, k.revoked_at, " +
  "k.requests_per_minute, k.tokens_per_minute, k.max_concurrent_requests, k.monthly_budget_micro_usd, k.team_id, " +
  "case when k.revoked_at is null and k.previous_expires_at > now() then k.previous_expires_at end as previous_expires_at";

export interface KeyListFilter {
  readonly userId: string | undefined;
  readonly includeRevoked: boolean;
  readonly teamId?: string | undefined;
}

/** Works on the pool or inside a transaction (`sql.begin`). */
export class ApiKeyStore {
  constructor(private readonly sql: postgres.ISql) {}

  async create(k: {
    userId: string;
    name: string;
    prefix: string;
    hash: Buffer;
    allowedModels: readonly string[];
    expiresAt: Date | undefined;
    limits: Limits;
    teamId?: string | undefined;
  }): Promise<ApiKeyRecord> {
    const l = limitsToRow(k.limits);
    const [row] = await this.sql<KeyRow[]>`
      insert into api_keys as k (id, user_id, name, prefix, key_hash, allowed_models, expires_at,
                                 requests_per_minute, tokens_per_minute, max_concurrent_requests, monthly_budget_micro_usd, team_id)
      values (${randomUUID()}, ${k.userId}, ${k.name}, ${k.prefix}, ${k.hash}, ${this.sql.array([...k.allowedModels])}, ${k.expiresAt ?? null},
              ${l.requests_per_minute}, ${l.tokens_per_minute}, ${l.max_concurrent_requests}, ${l.monthly_budget_micro_usd}, ${k.teamId ?? null})
      returning ${this.sql.unsafe(COLUMNS)}`;
    if (!row) throw new Error("insert returned no row");
    return record(row);
  }

  /** The current secret's hash, or a replaced one's while its grace period runs (by the database's clock). */
  async byHash(hash: Buffer): Promise<KeyWithOwner | undefined> {
    const [row] = await this.sql<
      Array<KeyRow & { owner_status: string; owner_role: string; owner_limits: LimitColumns; secret_expires_at: Date | null; team_limits: LimitColumns | null }>
    >`
      select ${this.sql.unsafe(COLUMNS)}, u.status as owner_status, u.role as owner_role,
             json_build_object('requests_per_minute', u.requests_per_minute, 'tokens_per_minute', u.tokens_per_minute,
                               'max_concurrent_requests', u.max_concurrent_requests,
                               'monthly_budget_micro_usd', u.monthly_budget_micro_usd) as owner_limits,
             case when k.key_hash = ${hash} then null else k.previous_expires_at end as secret_expires_at,
             case when t.id is null then null else
               json_build_object('requests_per_minute', t.requests_per_minute, 'tokens_per_minute', t.tokens_per_minute,
                                 'max_concurrent_requests', t.max_concurrent_requests,
                                 'monthly_budget_micro_usd', t.monthly_budget_micro_usd) end as team_limits
      from api_keys k join users u on u.id = k.user_id left join teams t on t.id = k.team_id
      where k.key_hash = ${hash} or (k.previous_hash = ${hash} and k.previous_expires_at > now())`;
    if (!row) return undefined;
    return {
      ...record(row),
      ownerStatus: row.owner_status === "active" ? "active" : "disabled",
      ownerRole: row.owner_role === "admin" ? "admin" : "member",
      ownerLimits: limitsFromRow(row.owner_limits),
      secretExpiresAt: row.secret_expires_at ?? undefined,
      teamLimits: row.team_limits ? limitsFromRow(row.team_limits) : undefined,
    };
  }

  /** The row is locked until the transaction ends, so what an audit row calls "old" is what was replaced. */
  async getForUpdate(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.sql<KeyRow[]>`select ${this.sql.unsafe(COLUMNS)} from api_keys k where k.id = ${id} for update`;
    return row ? record(row) : undefined;
  }

  async list(filter: KeyListFilter, limit: number, after: PageCursor | undefined): Promise<{ keys: ApiKeyRecord[]; next: string }> {
    const sql = this.sql;
    const rows = await sql<KeyRow[]>`
      select ${sql.unsafe(COLUMNS)} from api_keys k
      where true
        ${filter.userId ? sql`and k.user_id = ${filter.userId}` : sql``}
        ${filter.teamId ? sql`and k.team_id = ${filter.teamId}` : sql``}
        ${filter.includeRevoked ? sql`` : sql`and k.revoked_at is null`}
        ${after ? sql`and (k.created_at, k.id) > (select created_at, id from api_keys where id = ${after.id})` : sql``}
      order by k.created_at, k.id
      limit ${limit + 1}`;
    const { items, next } = pageOf(rows, limit, record);
    return { keys: items, next };
  }

  async setLimits(id: string, limits: Limits): Promise<ApiKeyRecord | undefined> {
    const l = limitsToRow(limits);
    const [row] = await this.sql<KeyRow[]>`
      update api_keys as k set
        requests_per_minute = ${l.requests_per_minute}, tokens_per_minute = ${l.tokens_per_minute},
        max_concurrent_requests = ${l.max_concurrent_requests}, monthly_budget_micro_usd = ${l.monthly_budget_micro_usd}
      where k.id = ${id}
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row ? record(row) : undefined;
  }

  /**
   * A new secret for the same key: the current one's hash becomes the previous, accepted for
   * `graceSeconds` more by the database's clock (0: not at all). A previous one still in its grace
   * period is overwritten, so it ends now: one rotation at a time.
   */
  async rotate(id: string, next: { hash: Buffer; prefix: string }, graceSeconds: number): Promise<ApiKeyRecord | undefined> {
    const grace = graceSeconds > 0;
    const [row] = await this.sql<KeyRow[]>`
      update api_keys as k set
        previous_hash = ${grace ? this.sql`k.key_hash` : null},
        previous_expires_at = ${grace ? this.sql`now() + make_interval(secs => ${graceSeconds})` : null},
        key_hash = ${next.hash}, prefix = ${next.prefix}
      where k.id = ${id}
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row ? record(row) : undefined;
  }

  /** Idempotent: revoking a revoked key keeps its first revocation time. */
  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.sql<KeyRow[]>`
      update api_keys as k set revoked_at = coalesce(revoked_at, now())
      where k.id = ${id}
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row ? record(row) : undefined;
  }

  /** A user's keys of one team, revoked (they left it); the ones this call revoked, as they are now. */
  async revokeTeamKeys(teamId: string, userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.sql<KeyRow[]>`
      update api_keys as k set revoked_at = now()
      where k.team_id = ${teamId} and k.user_id = ${userId} and k.revoked_at is null
      returning ${this.sql.unsafe(COLUMNS)}`;
    return rows.map(record);
  }

  /** Coarse last-use: one statement for a batch of keys, skipped for keys touched within the minute. */
  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`
      update api_keys set last_used_at = now()
      where id = any(${[...ids]}::uuid[])
        and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }
}
