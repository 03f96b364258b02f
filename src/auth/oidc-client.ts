// The OpenID Connect relying party through openid-client: discovery on first use, the authorization URL (PKCE S256, state, nonce), the checked code exchange.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as oidc from "openid-client";
import type { OidcSettings } from "../config/oidc.js";
import { GatewayError } from "../core/errors.js";

/** Seconds for discovery and for each call to the provider: a provider that hangs answers 503 in time, it never holds a request open. */
const PROVIDER_TIMEOUT_S = 10;
const SCOPE = "openid email profile";
const LABEL = "aik-oidc-flow-v1";

/** The ID token's claims, verified: signature, iss, aud, exp, nonce. */
export type IdClaims = oidc.IDToken;

/**
 * state, nonce and the PKCE verifier, all derived from one random secret that only the browser's
 * short-lived HttpOnly cookie holds: nothing is stored on any replica, any replica can finish a
 * sign-in another began, and only the browser that began it can finish it. The URL carries the
 * state and the code challenge (as the spec has it), which reveal nothing of the secret.
 */
export interface FlowSecrets {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

export function newFlowSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function flowSecrets(secret: string): FlowSecrets {
  const derive = (what: string): string => createHmac("sha256", secret).update(`${LABEL}:${what}`).digest("base64url");
  // 32 bytes as base64url: 43 characters, the shortest verifier RFC 7636 allows, with 256 bits in it.
  return { state: derive("state"), nonce: derive("nonce"), verifier: derive("pkce") };
}

/** A refusal the sign-in pages name by its reason code; the message never quotes a token or a claim. */
export function signInRefused(reason: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError("unauthenticated", message, { reason, cause });
}

function providerUnavailable(cause: unknown): GatewayError {
  return new GatewayError("unavailable", "The identity provider cannot be reached: try again in a moment.", { reason: "provider_unavailable", cause, retryAfterMs: 5_000 });
}

export class OidcRelyingParty {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  get issuer(): string {
    return this.settings.issuer;
  }

  /**
   * Discovered on the first sign-in, not at start: a provider that is down when the gateway
   * starts costs sign-ins a 503 until it is back, never the start itself. A failure is not kept,
   * so the next sign-in tries again.
   */
  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined, {
        timeout: PROVIDER_TIMEOUT_S,
        // Plain http is accepted by the config reader for a loopback issuer only (a local provider).
        execute: new URL(this.settings.issuer).protocol === "http:" ? [oidc.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        this.discovered = undefined;
        throw providerUnavailable(err);
      });
    return this.discovered;
  }

  /** Where to send the browser: the provider's authorization endpoint with code_challenge (S256), state and nonce. */
  async authorizationUrl(redirectUri: string, secret: string): Promise<URL> {
    const config = await this.configuration();
    const { state, nonce, verifier } = flowSecrets(secret);
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
  }

  /**
   * The provider's answer, checked: the state against this browser's secret (constant time), then
   * openid-client checks the state again, the `iss` parameter, redeems the code with the verifier
   * and verifies the ID token (signature, iss, aud, exp, nonce).
   */
  async exchange(redirectUri: string, query: URLSearchParams, secret: string): Promise<IdClaims> {
    const { state, nonce, verifier } = flowSecrets(secret);
    if (!sameText(query.get("state") ?? "", state)) throw signInRefused("state_mismatch", "The sign-in answer does not belong to this browser's sign-in: start again.");
    const config = await this.configuration();
    const current = new URL(redirectUri);
    for (const [k, v] of query) current.searchParams.append(k, v);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    } catch (err) {
      throw refusalOf(err);
    }
    const claims = tokens.claims();
    if (!claims) throw signInRefused("id_token_invalid", "The identity provider sent no ID token.");
    return claims;
  }
}

/** openid-client's failures as reason codes; its messages and causes (which may quote a response) stay on the server. */
function refusalOf(err: unknown): GatewayError {
  if (err instanceof oidc.AuthorizationResponseError) return signInRefused("provider_refused", "The identity provider refused the sign-in.", err);
  if (err instanceof oidc.ResponseBodyError) {
    if (err.error === "invalid_grant") return signInRefused("code_rejected", "The sign-in code was refused (already used or expired): start again.", err);
    return err.status >= 500 ? providerUnavailable(err) : signInRefused("provider_refused", "The identity provider refused the sign-in.", err);
  }
  if (err instanceof oidc.ClientError) {
    if (err.code === "OAUTH_TIMEOUT" || err.code === "OAUTH_ABORT" || err.code === "OAUTH_RESPONSE_IS_NOT_CONFORM") return providerUnavailable(err);
    if (err.code === "OAUTH_JWT_CLAIM_COMPARISON_FAILED" && claimOf(err) === "nonce") return signInRefused("nonce_mismatch", "The ID token does not belong to this sign-in (nonce).", err);
    return signInRefused("id_token_invalid", "The identity provider's answer failed validation.", err);
  }
  // fetch itself failing (connection refused, DNS): the provider is not there.
  if (err instanceof TypeError) return providerUnavailable(err);
  return signInRefused("id_token_invalid", "The identity provider's answer failed validation.", err);
}

/** The claim oauth4webapi names in a comparison failure (its error's cause carries `claim`). */
function claimOf(err: oidc.ClientError): string | undefined {
  const inner: unknown = err.cause;
  if (typeof inner !== "object" || inner === null || !("cause" in inner)) return undefined;
  const detail: unknown = inner.cause;
  return typeof detail === "object" && detail !== null && "claim" in detail && typeof detail.claim === "string" ? detail.claim : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
