// SQL for users: rows in, typed records out; emails matched by their one canonical form (src/auth/email.ts).
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import { canonicalEmail } from "../auth/email.js";
import { GatewayError } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import { limitsFromRow, limitsToRow, type LimitColumns } from "./limit-columns.js";
import { pageOf, type PageCursor } from "./page-token.js";

export type UserRole = "admin" | "member";
export type UserStatus = "active" | "disabled";
/** A person signs in; a service account calls with its issuer's JWTs (or its keys) and has no email or password. */
export type UserKind = "person" | "service";

export interface UserRecord {
  readonly id: string;
  /** Empty for a service account (it has none). */
  readonly email: string;
  readonly role: UserRole;
  readonly status: UserStatus;
  /** Undefined for a service account: no password ever matches. */
  readonly passwordHash: string | undefined;
  readonly kind: UserKind;
  /** A service account's application id (its tokens' azp or appid claim). */
  readonly appId: string | undefined;
  /** A display name; a service account always has one. */
  readonly name: string | undefined;
  /** A service account's: the models its tokens may call; empty means every model (always empty for a person). */
  readonly allowedModels: readonly string[];
  /** Overrides of the configured default limits. */
  readonly limits: Limits;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface UserRow extends LimitColumns {
  id: string;
  email: string | null;
  role: string;
  status: string;
  password_hash: string | null;
  kind: string;
  app_id: string | null;
  name: string | null;
  allowed_models: string[];
  created_at: Date;
  updated_at: Date;
}

export function userRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    email: r.email ?? "",
    role: r.role === "admin" ? "admin" : "member",
    status: r.status === "active" ? "active" : "disabled",
    passwordHash: r.password_hash ?? undefined,
    kind: r.kind === "service" ? "service" : "person",
    appId: r.app_id ?? undefined,
    name: r.name ?? undefined,
    allowedModels: r.allowed_models,
    limits: limitsFromRow(r),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const UNIQUE_VIOLATION = "23505";

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && "code" in err && err.code === UNIQUE_VIOLATION;
}

/** One new row as a record; a unique violation (the email or app_id taken) is the caller's conflict. */
async function insertOne(insert: PromiseLike<UserRow[]>, conflict: () => GatewayError): Promise<UserRecord> {
  try {
    const [row] = await insert;
    if (!row) throw new Error("insert returned no row");
    return userRecord(row);
  } catch (err) {
    throw isUniqueViolation(err) ? conflict() : err;
  }
}

export interface CanonicalBackfill {
  /** Rows given their canonical email. */
  readonly filled: number;
  /** Users whose canonical email another (older) user already has: left unmatched, for an operator to resolve. */
  readonly conflicts: readonly string[];
}

/** Works on the pool or inside a transaction (`sql.begin`). */
export class UserStore {
  constructor(private readonly sql: postgres.ISql) {}

  async create(u: { email: string; role: UserRole; passwordHash: string; limits: Limits }): Promise<UserRecord> {
    const l = limitsToRow(u.limits);
    return insertOne(
      this.sql<UserRow[]>`
        insert into users (id, email, email_canonical, role, status, password_hash,
                           requests_per_minute, tokens_per_minute, max_concurrent_requests, monthly_budget_micro_usd)
        values (${randomUUID()}, ${u.email}, ${canonicalEmail(u.email)}, ${u.role}, 'active', ${u.passwordHash},
                ${l.requests_per_minute}, ${l.tokens_per_minute}, ${l.max_concurrent_requests}, ${l.monthly_budget_micro_usd})
        returning *`,
      () => new GatewayError("conflict", "A user with this email already exists.", { param: "email", reason: "already_exists" }),
    );
  }

  /** A service account: kind 'service', no email, no password; its app_id is unique (ALREADY_EXISTS otherwise). */
  async createServiceAccount(u: { name: string; appId: string; limits: Limits; allowedModels: readonly string[] }): Promise<UserRecord> {
    const l = limitsToRow(u.limits);
    return insertOne(
      this.sql<UserRow[]>`
        insert into users (id, kind, app_id, name, allowed_models, role, status,
                           requests_per_minute, tokens_per_minute, max_concurrent_requests, monthly_budget_micro_usd)
        values (${randomUUID()}, 'service', ${u.appId}, ${u.name}, ${this.sql.array([...u.allowedModels])}, 'member', 'active',
                ${l.requests_per_minute}, ${l.tokens_per_minute}, ${l.max_concurrent_requests}, ${l.monthly_budget_micro_usd})
        returning *`,
      () => new GatewayError("conflict", "A service account with this app_id already exists.", { param: "app_id", reason: "already_exists" }),
    );
  }

  /** The service account a token's application id names (persons have no app_id, so never match). */
  async byAppId(appId: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where app_id = ${appId} and kind = 'service'`;
    return row ? userRecord(row) : undefined;
  }

  /** Creates the first admin only while there are no users at all: replicas starting together create one. */
  async createFirstAdmin(email: string, passwordHash: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`
      insert into users (id, email, email_canonical, role, status, password_hash)
      select ${randomUUID()}, ${email}, ${canonicalEmail(email)}, 'admin', 'active', ${passwordHash}
      where not exists (select 1 from users)
      on conflict do nothing
      returning *`;
    return row ? userRecord(row) : undefined;
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where id = ${id}`;
    return row ? userRecord(row) : undefined;
  }

  /** The row is locked until the transaction ends, so what an audit row calls "old" is what was replaced. */
  async getForUpdate(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where id = ${id} for update`;
    return row ? userRecord(row) : undefined;
  }

  /** The caller checks the text first (checkEmailText): a NUL would be a Postgres error, not a miss. */
  async byEmail(email: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where email_canonical = ${canonicalEmail(email)}`;
    return row ? userRecord(row) : undefined;
  }

  /**
   * Gives every row without one its canonical email (rows from before migration 5, or written by
   * an older replica during a rolling deploy). Oldest first: when two old rows share a canonical
   * form, the older keeps it and the newer is reported and stays unmatched by login. Replicas may
   * run this at once: each row is filled once, by whichever gets there first.
   */
  async backfillCanonicalEmails(): Promise<CanonicalBackfill> {
    // A service account has no email to canonicalize.
    const rows = await this.sql<Array<{ id: string; email: string }>>`
      select id, email from users where email_canonical is null and email is not null order by created_at, id`;
    let filled = 0;
    const conflicts: string[] = [];
    for (const r of rows) {
      try {
        const done = await this.sql`
          update users set email_canonical = ${canonicalEmail(r.email)} where id = ${r.id} and email_canonical is null`;
        filled += done.count;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        conflicts.push(r.id);
      }
    }
    return { filled, conflicts };
  }

  async list(limit: number, after: PageCursor | undefined): Promise<{ users: UserRecord[]; next: string }> {
    const rows = after
      ? await this.sql<UserRow[]>`
          select * from users
          where (created_at, id) > (select created_at, id from users where id = ${after.id})
          order by created_at, id limit ${limit + 1}`
      : await this.sql<UserRow[]>`select * from users order by created_at, id limit ${limit + 1}`;
    const { items, next } = pageOf(rows, limit, userRecord);
    return { users: items, next };
  }

  /** Unset fields stay; `limits`, when given, replaces all four overrides. */
  async update(
    id: string,
    change: { role?: UserRole; status?: UserStatus; passwordHash?: string; limits?: Limits; allowedModels?: readonly string[] },
  ): Promise<UserRecord | undefined> {
    const sql = this.sql;
    const l = change.limits ? limitsToRow(change.limits) : undefined;
    const [row] = await sql<UserRow[]>`
      update users set
        role = coalesce(${change.role ?? null}, role),
        status = coalesce(${change.status ?? null}, status),
        password_hash = coalesce(${change.passwordHash ?? null}, password_hash),
        ${change.allowedModels ? sql`allowed_models = ${sql.array([...change.allowedModels])},` : sql``}
        ${
          l
            ? sql`requests_per_minute = ${l.requests_per_minute}, tokens_per_minute = ${l.tokens_per_minute},
                  max_concurrent_requests = ${l.max_concurrent_requests}, monthly_budget_micro_usd = ${l.monthly_budget_micro_usd},`
            : sql``
        }
        updated_at = now()
      where id = ${id}
      returning *`;
    return row ? userRecord(row) : undefined;
  }

  async count(): Promise<number> {
    const [row] = await this.sql<Array<{ n: number }>>`select count(*)::int as n from users`;
    return row?.n ?? 0;
  }
}
