// Single sign-on semantics: verified claims -> the user (created on first sign-in, role from the admin claim, tenant and status checked) -> the same session a password login gives.
import type postgres from "postgres";
import type { AuditSink } from "../auth/audit.js";
import { changedFields } from "../auth/audit.js";
import { checkEmailText } from "../auth/email.js";
import type { IdentityEvents } from "../auth/identity-events.js";
import { newFlowSecret, signInRefused, type IdClaims, type OidcRelyingParty } from "../auth/oidc-client.js";
import type { NewSession, SessionService } from "../auth/sessions.js";
import type { OidcSettings } from "../config/oidc.js";
import { GatewayError } from "../core/errors.js";
import { AuditStore } from "../store/audit-events.js";
import { OidcIdentityStore, type SignedInProfile } from "../store/oidc-identities.js";
import type { UserRecord, UserRole } from "../store/users.js";
import { userFields } from "./audit-fields.js";

const MAX_NAME_CHARS = 200;
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

export interface OidcSignInDeps {
  readonly settings: OidcSettings;
  readonly relyingParty: OidcRelyingParty;
  readonly sql: postgres.Sql;
  readonly sessions: SessionService;
  readonly events: IdentityEvents;
  readonly audit: AuditSink;
}

export class OidcSignIn {
  constructor(private readonly d: OidcSignInDeps) {}

  get providerName(): string {
    return this.d.settings.providerName;
  }

  get configuredRedirectUri(): string | undefined {
    return this.d.settings.redirectUri;
  }

  /** The provider's URL to send the browser to, and the secret its cookie must hold until the callback. */
  async begin(redirectUri: string): Promise<{ url: URL; secret: string }> {
    const secret = newFlowSecret();
    return { url: await this.d.relyingParty.authorizationUrl(redirectUri, secret), secret };
  }

  /** The callback: the code redeemed and its ID token checked, then the user found or made, then a session. */
  async finish(redirectUri: string, query: URLSearchParams, secret: string, peer: string | undefined): Promise<NewSession & { user: UserRecord }> {
    const claims = await this.d.relyingParty.exchange(redirectUri, query, secret);
    this.checkTenant(claims);
    const issuer = claims.iss;
    const adminNow = this.adminByClaim(claims);
    const email = emailOf(claims);
    const name = nameOf(claims);
    const outcome = await this.d.sql.begin(async (tx) => {
      const store = new OidcIdentityStore(tx);
      const audit = new AuditStore(tx);
      const linked = await store.userForUpdate(issuer, claims.sub);
      if (!linked) {
        const created = await store.createUser(issuer, claims.sub, { email, name, role: adminNow ? "admin" : "member" });
        await audit.append({ actor: created.id, source: peer, action: "user.created", targetId: created.id, changes: changedFields(undefined, userFields(created)) });
        return { kind: "ok" as const, user: created, roleChanged: false };
      }
      if (linked.status !== "active") return { kind: "disabled" as const, user: linked };
      const role: UserRole = adminNow === undefined ? linked.role : adminNow ? "admin" : "member";
      const profile: SignedInProfile = { email, name, role };
      const user = await store.refresh(issuer, claims.sub, linked.id, profile);
      const changes = changedFields(userFields(linked), userFields(user));
      if (changes.length > 0) await audit.append({ actor: user.id, source: peer, action: "user.updated", targetId: user.id, changes });
      return { kind: "ok" as const, user, roleChanged: user.role !== linked.role };
    });
    if (outcome.kind === "disabled") {
      // Disabled users' sessions are refused on every call already; ending them here leaves none behind.
      await this.d.sessions.revokeAllOf(outcome.user.id);
      throw new GatewayError("permission_denied", "This account is disabled: ask an administrator.", { reason: "user_disabled" });
    }
    // A new role changes what the user's cached keys may do, on every replica.
    if (outcome.roleChanged) await this.d.events.publish({ kind: "user", id: outcome.user.id });
    const session = await this.d.sessions.create(outcome.user.id);
    await this.d.audit.append({ actor: outcome.user.id, source: peer, action: "login.succeeded", targetId: outcome.user.id, changes: [{ field: "method", new: "oidc" }] });
    return { ...session, user: outcome.user };
  }

  /** Entra's `tid`: when tenants are listed, a token from any other tenant (or with none) is refused. */
  private checkTenant(claims: IdClaims): void {
    const allowed = this.d.settings.allowedTenants;
    if (allowed.length === 0) return;
    const tid = claims.tid;
    if (typeof tid !== "string" || !allowed.includes(tid)) {
      throw new GatewayError("permission_denied", "This organisation's accounts may not sign in here.", { reason: "tenant_not_allowed" });
    }
  }

  /** true or false when an admin claim is configured (checked at every sign-in); undefined when roles are left to the AdminService. */
  private adminByClaim(claims: IdClaims): boolean | undefined {
    const { adminClaim, adminValues } = this.d.settings;
    if (adminClaim === undefined) return undefined;
    return claimValues(claims[adminClaim]).some((v) => adminValues.includes(v));
  }
}

/** A claim of one string or a list of them (Entra's `roles` and `groups` are lists). */
function claimValues(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** `email`, else `preferred_username` (Entra's sign-in name); a user row needs one. */
function emailOf(claims: IdClaims): string {
  for (const v of [claims.email, claims.preferred_username]) {
    if (typeof v !== "string") continue;
    try {
      return checkEmailText(v);
    } catch {
      continue;
    }
  }
  throw signInRefused("email_missing", "The identity provider sent no email for this account (the email or preferred_username claim).");
}

/** A display name, printable and bounded; a provider may send none. */
function nameOf(claims: IdClaims): string | undefined {
  if (typeof claims.name !== "string") return undefined;
  const name = [...claims.name.replace(UNPRINTABLE, "").trim()].slice(0, MAX_NAME_CHARS).join("");
  return name === "" ? undefined : name;
}
