// How one may sign in here (GetLoginOptions), and the words for why a single sign-on came back refused (its ?sso_error= reason code).
import { callJson } from "../api";
import { booleanAt, objectOf, textAt } from "../json";

export interface LoginOptions {
  readonly passwordLogin: boolean;
  /** The "Sign in with …" button: the provider's name and where the browser goes; undefined without single sign-on. */
  readonly singleSignOn: { readonly name: string; readonly url: string } | undefined;
}

export async function loginOptions(): Promise<LoginOptions> {
  const o = objectOf(await callJson("/v1/auth/login-options", { sessionEndpoint: true }), "login options");
  const url = textAt(o, "single_sign_on_url");
  // Only a path on this gateway: the page never sends a browser to an address an answer names.
  const sso = booleanAt(o, "single_sign_on") && url.startsWith("/") && !url.startsWith("//");
  return { passwordLogin: booleanAt(o, "password_login"), singleSignOn: sso ? { name: textAt(o, "single_sign_on_name"), url } : undefined };
}

const REASONS: Readonly<Record<string, string>> = {
  sign_in_expired: "The sign-in took too long or was started in another browser. Try again.",
  state_mismatch: "The sign-in answer did not match the sign-in this browser started. Try again.",
  provider_refused: "The identity provider refused the sign-in.",
  provider_unavailable: "The identity provider cannot be reached. Try again in a moment.",
  code_rejected: "The sign-in code was already used or has expired. Try again.",
  nonce_mismatch: "The identity provider's answer did not belong to this sign-in. Try again.",
  id_token_invalid: "The identity provider's answer failed validation.",
  tenant_not_allowed: "Accounts of your organisation may not sign in here.",
  email_missing: "The identity provider sent no email address for your account.",
  email_in_use: "Another account here already uses your email address. Ask an administrator.",
  user_disabled: "Your account is disabled. Ask an administrator.",
};

/** A sentence for a reason code; an unknown code gets a general one, never the code's text echoed as if it were a message. */
export function singleSignOnError(reason: string): string {
  return REASONS[reason] ?? "Single sign-on failed. Try again, or ask an administrator.";
}
