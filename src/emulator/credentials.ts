// Checks the caller's Azure credential: `api-key` everywhere, `Bearer <api key>` on v1 only.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { accessDenied, entraTokenRejected, type WireError } from "./wire-errors.js";

const digest = (secret: string): Buffer => createHash("sha256").update(secret).digest();

export class KeyCheck {
  private readonly expected: Buffer;

  constructor(apiKey: string) {
    this.expected = digest(apiKey);
  }

  /** Undefined when the caller may pass; otherwise the 401 Azure would send. */
  check(headers: IncomingHttpHeaders, v1: boolean): WireError | undefined {
    const apiKey = headers["api-key"];
    if (typeof apiKey === "string") return this.matches(apiKey) ? undefined : accessDenied();
    const authorization = headers.authorization;
    if (authorization !== undefined && /^bearer\s/i.test(authorization)) {
      // Classic routes take a bearer only as an Entra token, which the emulator cannot verify.
      if (!v1) return entraTokenRejected();
      return this.matches(authorization.slice(7).trim()) ? undefined : accessDenied();
    }
    return accessDenied();
  }

  /** Hashing both sides gives equal lengths, so the comparison takes the same time whatever was sent. */
  private matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.expected);
  }
}
