// A token issuer for tests: key pairs made with jose, their public halves served as a JWKS on loopback (port 0), fetches counted.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(kid: string, alg = "RS256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export interface TestIssuer {
  /** The issuer (http://127.0.0.1:<port>/tenant/v2.0), what its tokens carry in iss. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** How many times the key set was fetched. */
  readonly fetches: () => number;
  /** What the next fetch serves (a rotation). */
  publish(keys: readonly SigningKey[]): void;
  close(): Promise<void>;
}

export async function startIssuer(keys: readonly SigningKey[]): Promise<TestIssuer> {
  let served = keys;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== "/tenant/discovery/v2.0/keys") {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: served.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${base}/tenant/v2.0`,
    jwksUri: `${base}/tenant/discovery/v2.0/keys`,
    fetches: () => fetches,
    publish: (next) => {
      served = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface TokenSpec {
  readonly issuer: string;
  readonly audience: string;
  readonly claims: JWTPayload;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
}

/** A token as Entra would issue it to an application (client credentials): azp names the app. */
export function signToken(key: SigningKey, spec: TokenSpec): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(spec.claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .setIssuer(spec.issuer)
    .setAudience(spec.audience)
    .setIssuedAt(now - 5)
    .setNotBefore(now - 5)
    .setExpirationTime(now + (spec.expiresIn ?? 600))
    .sign(key.privateKey);
}
