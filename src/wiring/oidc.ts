// Builds single sign-on when auth.oidc is configured: the relying party (discovering lazily) and the sign-in semantics.
import type postgres from "postgres";
import type { LoginOptions } from "../api/auth-api.js";
import { OidcSignIn } from "../api/oidc-sign-in.js";
import type { AuditSink } from "../auth/audit.js";
import type { IdentityEvents } from "../auth/identity-events.js";
import { OidcRelyingParty } from "../auth/oidc-client.js";
import type { SessionService } from "../auth/sessions.js";
import type { SignInSettings } from "../config/oidc.js";

export function buildOidc(settings: SignInSettings, sql: postgres.Sql, sessions: SessionService, events: IdentityEvents, audit: AuditSink): OidcSignIn | undefined {
  const oidc = settings.oidc;
  if (!oidc) return undefined;
  return new OidcSignIn({ settings: oidc, relyingParty: new OidcRelyingParty(oidc), sql, sessions, events, audit });
}

export function loginOptions(settings: SignInSettings): LoginOptions {
  return { passwordLogin: settings.passwordLogin, singleSignOnName: settings.oidc?.providerName };
}
