// Checks the caller's Azure credential: `api-key` everywhere, `Bearer <Entra token>` everywhere, `Bearer <api key>` on v1 only.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { jwtVerify } from "jose";
import { accessDenied, entraTokenRejected, type WireError } from "./wire-errors.js";

const digest = (secret: string): Buffer => createHash("sha256").update(secret).digest();

/** The audience Azure OpenAI accepts Entra tokens for. */
export const ENTRA_AUDIENCE = "https://cognitiveservices.azure.com";
// An Entra access token is a JWT: three base64url parts. Anything else after "Bearer" is read as a key.
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Which credential a request carried, for tests that check what the gateway sent (never the credential itself). */
export type CredentialKind = "api-key" | "bearer-key" | "entra";

export interface CredentialVerdict {
  readonly kind: CredentialKind | undefined;
  /** Undefined when the caller may pass; otherwise the 401 Azure would send. */
  readonly denied: WireError | undefined;
}

export class KeyCheck {
  private readonly expected: Buffer;
  private readonly entraKey: Uint8Array | undefined;

  /**
   * `entraKey`: the secret the test's token issuer signs with (HS256). Azure checks an RS256
   * signature against Entra's published keys; the emulator stands in with a shared secret, and
   * checks what Azure checks besides: the audience and the expiry. Without it no token passes.
   */
  constructor(apiKey: string, entraKey?: string) {
    this.expected = digest(apiKey);
    this.entraKey = entraKey === undefined ? undefined : new TextEncoder().encode(entraKey);
  }

  /** Synchronous for keys; a promise only for an Entra token, whose signature takes a moment to check. */
  check(headers: IncomingHttpHeaders, v1: boolean): CredentialVerdict | Promise<CredentialVerdict> {
    const apiKey = headers["api-key"];
    if (typeof apiKey === "string") return { kind: "api-key", denied: this.matches(apiKey) ? undefined : accessDenied() };
    const authorization = headers.authorization;
    if (authorization !== undefined && /^bearer\s/i.test(authorization)) {
      const bearer = authorization.slice(7).trim();
      if (JWT.test(bearer)) return this.entra(bearer);
      // Classic routes take a bearer only as an Entra token.
      if (!v1) return { kind: "entra", denied: entraTokenRejected() };
      return { kind: "bearer-key", denied: this.matches(bearer) ? undefined : accessDenied() };
    }
    return { kind: undefined, denied: accessDenied() };
  }

  private async entra(token: string): Promise<CredentialVerdict> {
    if (this.entraKey === undefined) return { kind: "entra", denied: entraTokenRejected() };
    try {
      await jwtVerify(token, this.entraKey, { algorithms: ["HS256"], audience: ENTRA_AUDIENCE, requiredClaims: ["exp"] });
      return { kind: "entra", denied: undefined };
    } catch {
      // Expired, another audience, a bad signature: Azure gives all the same answer.
      return { kind: "entra", denied: entraTokenRejected() };
    }
  }

  /** Hashing both sides gives equal lengths, so the comparison takes the same time whatever was sent. */
  private matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.expected);
  }
}
