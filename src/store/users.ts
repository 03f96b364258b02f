// SQL for users: rows in, typed records out; emails compared case-insensitively.
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import { GatewayError } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import { limitsFromRow, limitsToRow, type LimitColumns } from "./limit-columns.js";
import { encodePageToken, type PageCursor } from "./page-token.js";

export type UserRole = "admin" | "member";
export type UserStatus = "active" | "disabled";

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly role: UserRole;
  readonly status: UserStatus;
  readonly passwordHash: string;
  /** Overrides of the configured default limits. */
  readonly limits: Limits;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface UserRow extends LimitColumns {
  id: string;
  email: string;
  role: string;
  status: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

function record(r: UserRow): UserRecord {
  return {
    id: r.id,
    email: r.email,
    role: r.role === "admin" ? "admin" : "member",
    status: r.status === "active" ? "active" : "disabled",
    passwordHash: r.password_hash,
    limits: limitsFromRow(r),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const UNIQUE_VIOLATION = "23505";

export class UserStore {
  constructor(private readonly sql: postgres.Sql) {}

  async create(u: { email: string; role: UserRole; passwordHash: string; limits: Limits }): Promise<UserRecord> {
    const l = limitsToRow(u.limits);
    try {
      const [row] = await this.sql<UserRow[]>`
        insert into users (id, email, role, status, password_hash,
                           requests_per_minute, tokens_per_minute, max_concurrent_requests, monthly_budget_micro_usd)
        values (${randomUUID()}, ${u.email}, ${u.role}, 'active', ${u.passwordHash},
                ${l.requests_per_minute}, ${l.tokens_per_minute}, ${l.max_concurrent_requests}, ${l.monthly_budget_micro_usd})
        returning *`;
      if (!row) throw new Error("insert returned no row");
      return record(row);
    } catch (err) {
      if (err instanceof Error && "code" in err && err.code === UNIQUE_VIOLATION) {
        throw new GatewayError("conflict", "A user with this email already exists.", { param: "email", reason: "already_exists" });
      }
      throw err;
    }
  }

  /** Creates the first admin only while there are no users at all: replicas starting together create one. */
  async createFirstAdmin(email: string, passwordHash: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`
      insert into users (id, email, role, status, password_hash)
      select ${randomUUID()}, ${email}, 'admin', 'active', ${passwordHash}
      where not exists (select 1 from users)
      on conflict do nothing
      returning *`;
    return row ? record(row) : undefined;
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where id = ${id}`;
    return row ? record(row) : undefined;
  }

  async byEmail(email: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRow[]>`select * from users where lower(email) = lower(${email})`;
    return row ? record(row) : undefined;
  }

  async list(limit: number, after: PageCursor | undefined): Promise<{ users: UserRecord[]; next: string }> {
    const rows = after
      ? await this.sql<UserRow[]>`
          select * from users
          where (created_at, id) > (select created_at, id from users where id = ${after.id})
          order by created_at, id limit ${limit + 1}`
      : await this.sql<UserRow[]>`select * from users order by created_at, id limit ${limit + 1}`;
    const users = rows.slice(0, limit).map(record);
    const last = users.at(-1);
    return { users, next: rows.length > limit && last ? encodePageToken(last) : "" };
  }

  /** Unset fields stay; `limits`, when given, replaces all four overrides. */
  async update(id: string, change: { role?: UserRole; status?: UserStatus; passwordHash?: string; limits?: Limits }): Promise<UserRecord | undefined> {
    const sql = this.sql;
    const l = change.limits ? limitsToRow(change.limits) : undefined;
    const [row] = await sql<UserRow[]>`
      update users set
        role = coalesce(${change.role ?? null}, role),
        status = coalesce(${change.status ?? null}, status),
        password_hash = coalesce(${change.passwordHash ?? null}, password_hash),
        ${
          l
            ? sql`requests_per_minute = ${l.requests_per_minute}, tokens_per_minute = ${l.tokens_per_minute},
                  max_concurrent_requests = ${l.max_concurrent_requests}, monthly_budget_micro_usd = ${l.monthly_budget_micro_usd},`
            : sql``
        }
        updated_at = now()
      where id = ${id}
      returning *`;
    return row ? record(row) : undefined;
  }

  async count(): Promise<number> {
    const [row] = await this.sql<Array<{ n: number }>>`select count(*)::int as n from users`;
    return row?.n ?? 0;
  }
}
