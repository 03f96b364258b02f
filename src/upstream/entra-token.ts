// One Entra access token kept fresh in the background: fetched once, refreshed before expiry off the request path, retried with backoff.
import type { AccessToken, TokenCredential } from "@azure/identity";
import { GatewayError } from "../core/errors.js";
import { errorFields, type LogFields, type Logger } from "../telemetry/logger.js";

/** The audience AI-K asks Entra for: Azure OpenAI (Cognitive Services) in the public cloud. */
export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

/**
 * Sovereign clouds have their own audience, told by the resource's host: Azure Government
 * (`*.openai.azure.us`) and Azure China (`*.openai.azure.cn`). Every other endpoint (public
 * Azure, a proxy, the emulator) gets the public cloud's.
 */
export function scopeFor(endpoint: string): string {
  const host = new URL(endpoint).hostname.toLowerCase();
  if (host.endsWith(".azure.us")) return "https://cognitiveservices.azure.us/.default";
  if (host.endsWith(".azure.cn")) return "https://cognitiveservices.azure.cn/.default";
  return COGNITIVE_SERVICES_SCOPE;
}

export interface TokenTiming {
  /** A token is renewed this long before it expires (or at 10% of its lifetime left, whichever is earlier). */
  readonly refreshMarginMs: number;
  /** First wait after a failed fetch; it doubles up to `retryMaxMs`. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** How long a request waits for a token being fetched (the first, or a renewal it started) before it is refused. */
  readonly firstFetchWaitMs: number;
}

export const DEFAULT_TOKEN_TIMING: TokenTiming = { refreshMarginMs: 5 * 60_000, retryMinMs: 1_000, retryMaxMs: 30_000, firstFetchWaitMs: 15_000 };

// A token this close to its expiry is not sent: it could expire on its way to Azure.
const EXPIRY_SKEW_MS = 2_000;
// Never reschedule faster than this, whatever the token's lifetime says.
const MIN_DELAY_MS = 250;

export class EntraTokenSource {
  private current: AccessToken | undefined;
  private fetching: Promise<void> | undefined;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private nextAttemptAt = 0;
  private failures = 0;
  /** Renewals in a row that got the held token back (the SDK's cache renews only within its own last 5 minutes). */
  private stale = 0;
  private closed = false;

  /** `label` names the credential in logs (kind and client id, never a secret). */
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly label: string,
    private readonly timing: TokenTiming,
    private readonly logger: Logger,
  ) {}

  /** Fetches the first token now, so the first request seldom has to wait for it. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.refresh();
  }

  /**
   * The token for a request to `deployment`: returned at once while a valid one is held; before
   * any fetch has failed, a fetch is awaited, up to `firstFetchWaitMs`: the one under way (the first,
   * in practice), or one started now when the held token is past its use and its renewal's timer has
   * not fired yet (a timer runs late on a busy process); otherwise the request is refused at once
   * (503), never sent without credentials.
   */
  token(deployment: string): string | Promise<string> {
    const held = this.valid();
    if (held !== undefined) return held;
    if (this.failures === 0 && !this.closed) {
      this.start();
      return this.awaitFetch(deployment);
    }
    throw this.unavailable(deployment);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private valid(): string | undefined {
    const t = this.current;
    return t !== undefined && t.expiresOnTimestamp - EXPIRY_SKEW_MS > Date.now() ? t.token : undefined;
  }

  private async awaitFetch(deployment: string): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.timing.firstFetchWaitMs);
    });
    // Joins the fetch under way, or starts one (single flight: see refresh).
    await Promise.race([this.refresh(), waited]);
    clearTimeout(timer);
    const held = this.valid();
    if (held === undefined) throw this.unavailable(deployment);
    return held;
  }

  private unavailable(deployment: string): GatewayError {
    const retryAfterMs = this.nextAttemptAt > Date.now() ? this.nextAttemptAt - Date.now() : this.timing.retryMinMs;
    return new GatewayError("unavailable", `The gateway cannot get an Entra token for deployment '${deployment}'; retry later.`, {
      reason: "upstream_credential_unavailable",
      // Another deployment of the model, with its own credential, may still serve the call.
      retryable: true,
      retryAfterMs,
    });
  }

  /** Single flight: a refresh already under way is joined, never doubled. */
  private refresh(): Promise<void> {
    this.fetching ??= this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetch(): Promise<void> {
    if (this.closed) return;
    let next: AccessToken | null;
    try {
      next = await this.credential.getToken(this.scope);
      if (next === null || next.token === "") throw new Error("the credential returned no token");
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.closed) return;
    const previous = this.current;
    // The credential's own cache may hand back the token it already gave: not renewed yet, try again soon.
    if (previous !== undefined && next.expiresOnTimestamp <= previous.expiresOnTimestamp) {
      this.stale += 1;
      this.schedule(this.backoff(this.stale));
      this.logger.debug("upstream.entra_token_not_renewed", { credential: this.label, valid_for_ms: previous.expiresOnTimestamp - Date.now() });
      return;
    }
    this.current = next;
    this.failures = 0;
    this.stale = 0;
    const now = Date.now();
    const lifetime = next.expiresOnTimestamp - now;
    // Renew with a margin, but use a short-lived token for at least half its life.
    const margin = Math.min(Math.max(this.timing.refreshMarginMs, lifetime / 10), lifetime / 2);
    const refreshAt = Math.min(next.expiresOnTimestamp - margin, next.refreshAfterTimestamp ?? Infinity);
    this.schedule(refreshAt - now);
    this.logger.info("upstream.entra_token_fetched", { credential: this.label, expires_in_ms: lifetime, refresh_in_ms: Math.max(MIN_DELAY_MS, Math.round(refreshAt - now)) });
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    this.failures += 1;
    const wait = this.backoff(this.failures);
    this.schedule(wait);
    const held = this.current !== undefined ? this.current.expiresOnTimestamp - Date.now() : 0;
    // Never the error's message or the token: only what kind of failure it was and what happens next.
    const fields: LogFields = {
      credential: this.label,
      failures: this.failures,
      retry_in_ms: wait,
      valid_for_ms: Math.max(0, held),
      ...tokenErrorFields(err),
    };
    if (held > EXPIRY_SKEW_MS) this.logger.warn("upstream.entra_token_refresh_failed", fields);
    else this.logger.error("upstream.entra_token_unavailable", fields);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.timing.retryMaxMs, this.timing.retryMinMs * 2 ** Math.min(attempt - 1, 20));
    // Up to 20% jitter: replicas whose tokens failed together do not retry together.
    return Math.round(base * (1 + Math.random() * 0.2));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const delay = Math.max(MIN_DELAY_MS, Math.round(delayMs));
    this.nextAttemptAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.refresh(), delay);
    // A pending refresh never keeps the process alive.
    this.timer.unref();
  }
}

/**
 * What is safe to log of a token failure: the error's class and code, the HTTP status, the OAuth
 * error code and Entra's AADSTS number (which say what to fix: a wrong secret is AADSTS7000215).
 * Those codes are picked out of the message by their fixed shapes; the message itself is not logged.
 */
function tokenErrorFields(err: unknown): LogFields {
  const fields: Record<string, string | number | boolean | undefined> = { ...errorFields(err) };
  if (!(err instanceof Error)) return fields;
  if ("statusCode" in err && typeof err.statusCode === "number") fields.status = err.statusCode;
  const oauth = /^(?:\S+: )?([a-z_]{3,64}): /.exec(err.message)?.[1];
  if (oauth !== undefined) fields.oauth_error = oauth;
  const aadsts = /\bAADSTS(\d{4,8})\b/.exec(err.message)?.[1];
  if (aadsts !== undefined) fields.aadsts = Number(aadsts);
  return fields;
}
