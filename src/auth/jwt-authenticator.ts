// Callers with a JWT from a configured issuer: signature against the issuer's cached keys (jose), claims, then the service account its app id names.
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { JwtIssuer } from "../config/jwt-issuers.js";
import type { Caller } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { resolveUserLimits, type Limits } from "../core/limits.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import { invalidKey } from "./api-key-authenticator.js";
import type { ServiceAccountCache } from "./service-accounts.js";

/** Asymmetric only: with HS* a public key, which anyone can fetch, would be a valid signing secret. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
/** Skew allowed on exp and nbf between the issuer's clock and ours. */
const CLOCK_TOLERANCE_SECONDS = 60;
/**
 * The keys are refreshed this often off the request path, so a key the issuer withdraws stops
 * working within this time while no request ever waits for a fetch (except for an unknown kid).
 */
const REFRESH_EVERY_MS = 10 * 60_000;
/** Tokens longer than this are not tokens any issuer sends (Entra's are 1-3 KB). */
const MAX_TOKEN_CHARS = 16_384;

interface IssuerKeys {
  readonly config: JwtIssuer;
  readonly keys: JWTVerifyGetKey;
  readonly reload: () => Promise<void>;
}

export class JwtAuthenticator {
  private readonly issuers = new Map<string, IssuerKeys>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    issuers: readonly JwtIssuer[],
    private readonly accounts: ServiceAccountCache,
    /** The configured default limits, under the account's overrides (a reload may change them). */
    private defaultLimits: Limits,
    private readonly logger: Logger,
  ) {
    for (const config of issuers) {
      // Never stale by age on the request path: the timer below refreshes; an unknown kid refetches at most once per cooldown.
      const remote = createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: config.jwksCooldownMs, cacheMaxAge: Infinity });
      const keys: JWTVerifyGetKey = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (err) {
          throw keysUnavailable(err) ? new KeysUnavailable(err) : err;
        }
      };
      this.issuers.set(config.issuer, { config, keys, reload: () => remote.reload() });
    }
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  async authenticate(token: string): Promise<Caller> {
    if (token.length > MAX_TOKEN_CHARS) throw invalidKey();
    const payload = await this.verify(token);
    // v2 tokens name the calling application in azp, v1 tokens in appid.
    const appId = typeof payload.azp === "string" ? payload.azp : typeof payload.appid === "string" ? payload.appid : undefined;
    // A delegated token (scp) was issued to a user through the application: it names the user, not the service.
    if (!appId || payload.scp !== undefined) throw invalidKey();
    const account = await this.accounts.byAppId(appId);
    if (!account || account.kind !== "service" || account.status !== "active") throw invalidKey();
    return {
      userId: account.id,
      keyId: undefined,
      admin: account.role === "admin",
      allowedModels: account.allowedModels,
      limits: { user: resolveUserLimits(account.limits, this.defaultLimits), key: {} },
    };
  }

  setDefaultLimits(limits: Limits): void {
    this.defaultLimits = limits;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Every way a token can be wrong ends in the one answer a bad key gets; only an unreachable issuer is a 503. */
  private async verify(token: string): Promise<JWTPayload> {
    let issuer: IssuerKeys | undefined;
    try {
      const iss = decodeJwt(token).iss;
      issuer = iss === undefined ? undefined : this.issuers.get(iss);
    } catch {
      throw invalidKey();
    }
    if (!issuer) throw invalidKey();
    try {
      const { payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.config.issuer,
        audience: [...issuer.config.audiences],
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp"],
      });
      return payload;
    } catch (err) {
      if (err instanceof KeysUnavailable) {
        this.logger.warn("auth.jwks_unavailable", { issuer: issuer.config.issuer, ...errorFields(err.cause) });
        throw new GatewayError("unavailable", "The token issuer's signing keys are unavailable; try again shortly.", { reason: "service_unavailable", cause: err.cause });
      }
      throw invalidKey();
    }
  }

  /** Off the request path: a failure keeps the keys already held and is retried at the next tick. */
  private refresh(): void {
    for (const i of this.issuers.values()) {
      i.reload().catch((err: unknown) => this.logger.warn("auth.jwks_refresh_failed", { issuer: i.config.issuer, ...errorFields(err) }));
    }
  }
}

class KeysUnavailable extends Error {
  override readonly name = "KeysUnavailable";
  constructor(override readonly cause: unknown) {
    super("the issuer's keys could not be fetched");
  }
}

/** A failed fetch (network, timeout, not 200, not a key set) is the issuer's outage, not the token's fault. */
function keysUnavailable(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === errors.JOSEError.code;
}
