// Session tokens: random "aiks_" secrets, stored as SHA-256 hashes, expiring and revocable.
import type { SessionRecord, SessionStore } from "../store/sessions.js";
import { hashSecret, isWellFormed, newSecret, SESSION_PREFIX } from "./tokens.js";

export interface NewSession {
  readonly token: string;
  readonly session: SessionRecord;
}

export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly ttlMs: number,
  ) {}

  async create(userId: string): Promise<NewSession> {
    const { secret, hash } = newSecret(SESSION_PREFIX);
    const session = await this.store.create(userId, hash, new Date(Date.now() + this.ttlMs));
    return { token: secret, session };
  }

  /** The live session a token names; malformed tokens never reach the database. */
  async resolve(token: string): Promise<SessionRecord | undefined> {
    if (!isWellFormed(SESSION_PREFIX, token)) return undefined;
    return this.store.live(hashSecret(token));
  }

  revoke(sessionId: string): Promise<void> {
    return this.store.revoke(sessionId);
  }

  revokeAllOf(userId: string): Promise<void> {
    return this.store.revokeAllOf(userId);
  }
}

export function looksLikeSession(token: string): boolean {
  return token.startsWith(SESSION_PREFIX);
}
