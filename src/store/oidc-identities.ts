// SQL for single sign-on: the user an (issuer, sub) pair names, and the person rows a first sign-in creates (no password, ever).
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import { canonicalEmail } from "../auth/email.js";
import { GatewayError } from "../core/errors.js";
import { isUniqueViolation, userRecord, type UserRecord, type UserRole, type UserRow } from "./users.js";

/** What the provider says about a person at this sign-in: the fields a user row keeps in step with it. */
export interface SignedInProfile {
  readonly email: string;
  readonly name: string | undefined;
  readonly role: UserRole;
}

/** Another account (a local one, or another subject's) already has the address: it is never taken over by email. */
function emailInUse(): GatewayError {
  return new GatewayError("conflict", "Another account already uses this email.", { reason: "email_in_use" });
}

/** Works on the pool or inside a transaction (`sql.begin`). */
export class OidcIdentityStore {
  constructor(private readonly sql: postgres.ISql) {}

  /**
   * The linked user, its row locked until the transaction ends so two sign-ins at once update it
   * one after the other. A lock on the identity itself comes first: two first sign-ins of one
   * person at once would otherwise both find no link, and the second would fail on the email.
   */
  async userForUpdate(issuer: string, subject: string): Promise<UserRecord | undefined> {
    await this.sql`select pg_advisory_xact_lock(hashtextextended(${`oidc\n${issuer}\n${subject}`}, 0))`;
    const [row] = await this.sql<UserRow[]>`
      select u.* from oidc_identities i join users u on u.id = i.user_id
      where i.issuer = ${issuer} and i.subject = ${subject}
      for update of u`;
    return row ? userRecord(row) : undefined;
  }

  /** A person with no password hash: password login can never match them, only their provider signs them in. */
  async createUser(issuer: string, subject: string, p: SignedInProfile): Promise<UserRecord> {
    const id = randomUUID();
    try {
      const [row] = await this.sql<UserRow[]>`
        insert into users (id, email, email_canonical, role, status, password_hash, name)
        values (${id}, ${p.email}, ${canonicalEmail(p.email)}, ${p.role}, 'active', null, ${p.name ?? null})
        returning *`;
      if (!row) throw new Error("insert returned no row");
      await this.sql`insert into oidc_identities (issuer, subject, user_id) values (${issuer}, ${subject}, ${id})`;
      return userRecord(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw emailInUse();
      throw err;
    }
  }

  /** Email, display name and role as the provider gives them now; the link's last sign-in moves on. */
  async refresh(issuer: string, subject: string, userId: string, p: SignedInProfile): Promise<UserRecord> {
    try {
      const [row] = await this.sql<UserRow[]>`
        update users set email = ${p.email}, email_canonical = ${canonicalEmail(p.email)}, name = ${p.name ?? null}, role = ${p.role},
          updated_at = case when email is distinct from ${p.email} or name is distinct from ${p.name ?? null} or role <> ${p.role}
                            then now() else updated_at end
        where id = ${userId}
        returning *`;
      if (!row) throw new Error("the linked user is gone");
      await this.sql`update oidc_identities set last_sign_in_at = now() where issuer = ${issuer} and subject = ${subject}`;
      return userRecord(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw emailInUse();
      throw err;
    }
  }
}
