// The sign-in's state, nonce and PKCE verifier: derived from the browser's one secret, each a different 256-bit value, none revealing another.
import { describe, expect, it } from "vitest";
import { flowSecrets, newFlowSecret } from "../../src/auth/oidc-client.js";

describe("flow secrets", () => {
  it("are 43 base64url characters (a valid RFC 7636 verifier), distinct from each other and from the secret", () => {
    const secret = newFlowSecret();
    const s = flowSecrets(secret);
    for (const v of [secret, s.state, s.nonce, s.verifier]) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([secret, s.state, s.nonce, s.verifier]).size).toBe(4);
  });

  it("are the same for the same secret (any replica finishes the sign-in) and differ for another", () => {
    const secret = newFlowSecret();
    expect(flowSecrets(secret)).toEqual(flowSecrets(secret));
    const other = flowSecrets(newFlowSecret());
    const mine = flowSecrets(secret);
    expect([other.state, other.nonce, other.verifier]).not.toContain(mine.state);
    expect(other.verifier).not.toBe(mine.verifier);
  });
});
