// The credential header of each upstream request: the deployment's API key, or a Bearer token from the Entra token source its settings share.
import { createHash } from "node:crypto";
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import type { Deployment, EntraAuth } from "../core/deployments.js";
import type { Logger } from "../telemetry/logger.js";
import { DEFAULT_TOKEN_TIMING, EntraTokenSource, scopeFor, type TokenTiming } from "./entra-token.js";

export type AuthHeaders = Readonly<Record<string, string>>;

export class AzureAuthHeaders {
  /** One token source per distinct set of Entra settings and audience: deployments that share them share a token. */
  private readonly sources = new Map<string, EntraTokenSource>();
  private readonly apiKeyHeaders = new WeakMap<Deployment, AuthHeaders>();
  // Worked out once per Deployment object (config and the router keep them for the process's life).
  private readonly sourceOf = new WeakMap<Deployment, EntraTokenSource>();

  constructor(
    private readonly logger: Logger,
    private readonly timing: TokenTiming = DEFAULT_TOKEN_TIMING,
  ) {}

  /** Synchronous while a token is held (the common case); a promise only while a token is on its way (the first, or a late renewal). */
  headers(d: Deployment): AuthHeaders | Promise<AuthHeaders> {
    if (d.auth.kind === "api_key") {
      let h = this.apiKeyHeaders.get(d);
      if (!h) {
        h = { "api-key": d.auth.apiKey };
        this.apiKeyHeaders.set(d, h);
      }
      return h;
    }
    let source = this.sourceOf.get(d);
    if (!source || source.isClosed) {
      source = this.source(d.auth, scopeFor(d.endpoint));
      this.sourceOf.set(d, source);
    }
    const token = source.token(d.id);
    return typeof token === "string" ? bearer(token) : token.then(bearer);
  }

  /**
   * At start and on each reload: starts fetching the tokens the deployments need (before their
   * first request), and stops refreshing those no deployment uses any more.
   */
  prepare(deployments: readonly Deployment[]): void {
    const wanted = new Set<string>();
    for (const d of deployments) {
      if (d.auth.kind !== "entra") continue;
      const scope = scopeFor(d.endpoint);
      wanted.add(settingsKey(d.auth, scope));
      this.source(d.auth, scope).start();
    }
    for (const [key, source] of this.sources) {
      if (wanted.has(key)) continue;
      source.close();
      this.sources.delete(key);
    }
  }

  close(): void {
    for (const source of this.sources.values()) source.close();
    this.sources.clear();
  }

  private source(auth: EntraAuth, scope: string): EntraTokenSource {
    const key = settingsKey(auth, scope);
    let source = this.sources.get(key);
    if (!source) {
      // Also for a deployment from before a reload that retired its settings: a fresh source, dropped at the next prepare.
      source = new EntraTokenSource(entraCredential(auth), scope, credentialLabel(auth), this.timing, this.logger);
      this.sources.set(key, source);
    }
    return source;
  }
}

function bearer(token: string): AuthHeaders {
  return { authorization: `Bearer ${token}` };
}

/** The settings that make a credential, the secret by its digest only (the key lives as long as the process). */
function settingsKey(a: EntraAuth, scope: string): string {
  const secret = a.clientSecret === undefined ? undefined : createHash("sha256").update(a.clientSecret).digest("base64url");
  return JSON.stringify([a.tenantId, a.clientId, a.authorityHost, secret, scope]);
}

/** What the logs call a credential: its kind and ids, never its secret. */
export function credentialLabel(a: EntraAuth): string {
  if (a.clientSecret !== undefined) return `service_principal:${a.clientId ?? ""}@${a.tenantId ?? ""}`;
  return a.clientId === undefined ? "managed_identity:system" : `managed_identity:${a.clientId}`;
}

/**
 * A service principal when a secret is given, else the managed identity (user-assigned with a
 * client id). The SDK's own retries are off: the token source retries with its own backoff, off
 * the request path. A named authority (a sovereign cloud) is trusted as named, without asking the
 * public cloud's instance discovery about it.
 */
export function entraCredential(a: EntraAuth): TokenCredential {
  const retryOptions = { maxRetries: 0 };
  if (a.clientSecret !== undefined && a.tenantId !== undefined && a.clientId !== undefined) {
    return new ClientSecretCredential(a.tenantId, a.clientId, a.clientSecret, {
      retryOptions,
      authorityHost: a.authorityHost,
      disableInstanceDiscovery: a.authorityHost !== undefined,
    });
  }
  return a.clientId === undefined ? new ManagedIdentityCredential({ retryOptions }) : new ManagedIdentityCredential({ clientId: a.clientId, retryOptions });
}
