// SQL for API keys: looked up by the SHA-256 of the whole key; the key itself is never stored.
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import { encodePageToken, type PageCursor } from "./page-token.js";
import type { UserStatus } from "./users.js";

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly allowedModels: readonly string[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  readonly revokedAt: Date | undefined;
}

/** What authentication needs in one query: the key and its owner's status. */
export interface KeyWithOwner extends ApiKeyRecord {
  readonly ownerStatus: UserStatus;
}

interface KeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  allowed_models: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

function record(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    allowedModels: r.allowed_models,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at ?? undefined,
    expiresAt: r.expires_at ?? undefined,
    revokedAt: r.revoked_at ?? undefined,
  };
}

const COLUMNS = "k.id, k.user_id, k.name, k.prefix, k.allowed_models, k.created_at, k.last_used_at, k.expires_at, k.revoked_at";

export interface KeyListFilter {
  readonly userId: string | undefined;
  readonly includeRevoked: boolean;
}

export class ApiKeyStore {
  constructor(private readonly sql: postgres.Sql) {}

  async create(k: { userId: string; name: string; prefix: string; hash: Buffer; allowedModels: readonly string[]; expiresAt: Date | undefined }): Promise<ApiKeyRecord> {
    const [row] = await this.sql<KeyRow[]>`
      insert into api_keys as k (id, user_id, name, prefix, key_hash, allowed_models, expires_at)
      values (${randomUUID()}, ${k.userId}, ${k.name}, ${k.prefix}, ${k.hash}, ${this.sql.array([...k.allowedModels])}, ${k.expiresAt ?? null})
      returning ${this.sql.unsafe(COLUMNS)}`;
    if (!row) throw new Error("insert returned no row");
    return record(row);
  }

  async byHash(hash: Buffer): Promise<KeyWithOwner | undefined> {
    const [row] = await this.sql<Array<KeyRow & { owner_status: string }>>`
      select ${this.sql.unsafe(COLUMNS)}, u.status as owner_status
      from api_keys k join users u on u.id = k.user_id
      where k.key_hash = ${hash}`;
    return row ? { ...record(row), ownerStatus: row.owner_status === "active" ? "active" : "disabled" } : undefined;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.sql<KeyRow[]>`select ${this.sql.unsafe(COLUMNS)} from api_keys k where k.id = ${id}`;
    return row ? record(row) : undefined;
  }

  async list(filter: KeyListFilter, limit: number, after: PageCursor | undefined): Promise<{ keys: ApiKeyRecord[]; next: string }> {
    const sql = this.sql;
    const rows = await sql<KeyRow[]>`
      select ${sql.unsafe(COLUMNS)} from api_keys k
      where true
        ${filter.userId ? sql`and k.user_id = ${filter.userId}` : sql``}
        ${filter.includeRevoked ? sql`` : sql`and k.revoked_at is null`}
        ${after ? sql`and (k.created_at, k.id) > (select created_at, id from api_keys where id = ${after.id})` : sql``}
      order by k.created_at, k.id
      limit ${limit + 1}`;
    const keys = rows.slice(0, limit).map(record);
    const last = keys.at(-1);
    return { keys, next: rows.length > limit && last ? encodePageToken(last) : "" };
  }

  /** Idempotent: revoking a revoked key keeps its first revocation time. */
  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.sql<KeyRow[]>`
      update api_keys as k set revoked_at = coalesce(revoked_at, now())
      where k.id = ${id}
      returning ${this.sql.unsafe(COLUMNS)}`;
    return row ? record(row) : undefined;
  }

  /** Coarse last-use: one statement for a batch of keys, skipped for keys touched within the minute. */
  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`
      update api_keys set last_used_at = now()
      where id = any(${this.sql.array([...ids])}::uuid[])
        and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }
}
