// SQL for login sessions: found by the SHA-256 of the token; the token itself is never stored.
import type postgres from "postgres";
import { randomUUID } from "node:crypto";

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: Date;
}

export class SessionStore {
  constructor(private readonly sql: postgres.Sql) {}

  async create(userId: string, hash: Buffer, expiresAt: Date): Promise<SessionRecord> {
    const id = randomUUID();
    await this.sql`insert into sessions (id, user_id, token_hash, expires_at) values (${id}, ${userId}, ${hash}, ${expiresAt})`;
    return { id, userId, expiresAt };
  }

  /** Only a live session: not revoked, not expired. */
  async live(hash: Buffer): Promise<SessionRecord | undefined> {
    const [row] = await this.sql<Array<{ id: string; user_id: string; expires_at: Date }>>`
      select id, user_id, expires_at from sessions
      where token_hash = ${hash} and revoked_at is null and expires_at > now()`;
    return row ? { id: row.id, userId: row.user_id, expiresAt: row.expires_at } : undefined;
  }

  async revoke(id: string): Promise<void> {
    await this.sql`update sessions set revoked_at = coalesce(revoked_at, now()) where id = ${id}`;
  }

  async revokeAllOf(userId: string): Promise<void> {
    await this.sql`update sessions set revoked_at = now() where user_id = ${userId} and revoked_at is null`;
  }
}
