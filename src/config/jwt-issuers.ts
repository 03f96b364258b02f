// Reads auth.jwt_issuers: the issuers whose JWTs a service may present instead of an aik_ key.
import { ConfigError, type Reader } from "./reader.js";

export interface JwtIssuer {
  /** The exact `iss` its tokens carry (Entra v2: https://login.microsoftonline.com/<tenant>/v2.0). */
  readonly issuer: string;
  /** Accepted `aud` values: at least one must match. */
  readonly audiences: readonly string[];
  /** Where its signing keys are published (https, or http on a loopback address). */
  readonly jwksUri: string;
  /** A token naming an unknown `kid` refetches the keys at most this often (jose's cooldown). */
  readonly jwksCooldownMs: number;
}

/** Entra rotates signing keys every few weeks and publishes the next one ahead: 30 s between forced refetches is plenty. */
const DEFAULT_COOLDOWN_SECONDS = 30;

export function readJwtIssuers(items: readonly Reader[]): JwtIssuer[] {
  const issuers = items.map((r) => {
    const issuer = r.requiredString("issuer", "the exact 'iss' of the tokens, e.g. https://login.microsoftonline.com/<tenant>/v2.0");
    checkUrl(issuer, r.at("issuer"), true);
    const jwksUri = r.requiredString("jwks_uri", "where the issuer publishes its keys, e.g. https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys");
    checkUrl(jwksUri, r.at("jwks_uri"), false);
    const issuerEntry: JwtIssuer = {
      issuer,
      audiences: readAudiences(r),
      jwksUri,
      jwksCooldownMs: (r.integer("jwks_cooldown_seconds", 1, 3600) ?? DEFAULT_COOLDOWN_SECONDS) * 1000,
    };
    r.done();
    return issuerEntry;
  });
  const seen = new Set<string>();
  for (const [i, x] of issuers.entries()) {
    if (seen.has(x.issuer)) throw new ConfigError(`auth.jwt_issuers[${i}].issuer repeats an earlier issuer: list every audience of one issuer in its one entry.`);
    seen.add(x.issuer);
  }
  return issuers;
}

/** One audience or a list (Entra v2 tokens carry the app's client id, v1 tokens its api:// URI). */
function readAudiences(r: Reader): string[] {
  const raw = r.raw("audience");
  const list = typeof raw === "string" ? [r.requiredString("audience", "")] : r.strings("audience");
  if (list.length === 0) throw new ConfigError(`${r.at("audience")} is required: the 'aud' the tokens must carry, e.g. api://<app>.`);
  return list;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Keys fetched over plain http could be swapped by anyone on the path, and with them every
 * token accepted: https is required except on a loopback address (tests, a local identity provider).
 * An issuer is only compared as text, but an http one is refused as well, so a typo cannot
 * silently name a different issuer.
 */
function checkUrl(text: string, at: string, identifierOnly: boolean): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${at} must be an absolute URL such as https://login.microsoftonline.com/<tenant>/v2.0.`);
  }
  const local = LOOPBACK.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    throw new ConfigError(`${at} must be an https URL (http only on a loopback address such as 127.0.0.1).`);
  }
  if (url.username || url.password || (!identifierOnly && url.hash)) throw new ConfigError(`${at} must not carry credentials or a fragment.`);
}
