// Which authenticator a data-plane credential goes to, by its shape: an aik_ key, or a JWT when issuers are configured.
import type { Caller } from "../core/context.js";
import type { ApiKeyAuthenticator } from "./api-key-authenticator.js";
import type { JwtAuthenticator } from "./jwt-authenticator.js";

/** Three base64url segments (the third empty for alg none, which verification then refuses). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential);
}

/**
 * Anything that is not a JWT (or any credential at all while no issuer is configured) goes to the
 * key authenticator, which answers a malformed one exactly as it answers a wrong key: a caller
 * learns nothing from which path refused it.
 */
export function dispatchCredential(keys: ApiKeyAuthenticator, tokens: JwtAuthenticator | undefined): (credential: string | undefined) => Promise<Caller> {
  return (credential) => (tokens && credential !== undefined && looksLikeJwt(credential) ? tokens.authenticate(credential) : keys.authenticate(credential));
}
