// The operator token (AIK_ADMIN_TOKEN): compared as SHA-256 digests in constant time.
import { createHash, timingSafeEqual } from "node:crypto";

export class OperatorToken {
  private readonly digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.digest = token ? sha256(token) : undefined;
  }

  get configured(): boolean {
    return this.digest !== undefined;
  }

  /** Hashing both sides first gives equal-length inputs, so the comparison leaks neither length nor prefix. */
  matches(candidate: string): boolean {
    if (!this.digest) return false;
    return timingSafeEqual(this.digest, sha256(candidate));
  }
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
