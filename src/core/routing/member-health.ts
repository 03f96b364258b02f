// One pool member's health as this replica sees it: cooling after a 429, a circuit breaker for failures, load and latency.
import type { RoutingOptions } from "./options.js";

export type MemberState = "healthy" | "cooling" | "open" | "half_open";

/** What one attempt on the member came to. neutral: it answered (a 4xx the client caused): no verdict on its health. */
export type AttemptOutcome = { kind: "ok"; latencyMs: number } | { kind: "throttled"; retryAfterMs: number | undefined } | { kind: "failed" } | { kind: "neutral" };

// The failure ratio is judged over the last WINDOW attempts, once at least MIN_SAMPLES are in.
const WINDOW = 20;
const MIN_SAMPLES = 10;
const OPEN_RATIO = 0.5;
// Latency moving average: each new sample weighs this much.
const EWMA_ALPHA = 0.2;
const MAX_BACKOFF_DOUBLINGS = 4;

export class MemberHealth {
  private coolUntil = 0;
  private openUntil = 0;
  private consecutive = 0;
  private opens = 0;
  private probing = false;
  private readonly recent: boolean[] = [];
  private latency: number | undefined;
  inFlight = 0;

  /** `settings` is read at each use, so a reload's new limits apply to members already known. */
  constructor(private readonly settings: () => RoutingOptions) {}

  private get options(): RoutingOptions {
    return this.settings();
  }

  state(now: number): MemberState {
    if (this.openUntil > 0) return now < this.openUntil ? "open" : "half_open";
    return now < this.coolUntil ? "cooling" : "healthy";
  }

  /** When it may take requests again (cooling or open), else 0. */
  until(now: number): number {
    const s = this.state(now);
    return s === "cooling" ? this.coolUntil : s === "open" ? this.openUntil : 0;
  }

  /** It may be tried now: healthy, or half-open with its one probe not yet out. */
  available(now: number): boolean {
    const s = this.state(now);
    return s === "healthy" || (s === "half_open" && !this.probing);
  }

  /** An attempt starts; on a half-open member it is the probe. Returns the function that ends it. */
  begin(now: number): () => void {
    if (this.state(now) === "half_open") this.probing = true;
    this.inFlight += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
    };
  }

  report(outcome: AttemptOutcome, now: number): void {
    switch (outcome.kind) {
      case "ok":
        this.latency = this.latency === undefined ? outcome.latencyMs : this.latency + EWMA_ALPHA * (outcome.latencyMs - this.latency);
        this.close();
        this.remember(true);
        return;
      case "throttled": {
        const wait = Math.min(this.options.maxCoolMs, outcome.retryAfterMs ?? this.options.defaultCoolMs);
        this.coolUntil = Math.max(this.coolUntil, now + wait);
        // It answered, so it is up: a probe that got a 429 closes the breaker.
        this.close();
        return;
      }
      case "failed":
        this.consecutive += 1;
        this.remember(false);
        if (this.probing || this.consecutive >= this.options.breaker.failures || this.ratioTooHigh()) this.open(now);
        return;
      case "neutral":
        this.probing = false;
        return;
    }
  }

  /** Moving average of time to first byte, once measured. */
  latencyMs(): number | undefined {
    return this.latency;
  }

  errorRate(): number {
    if (this.recent.length === 0) return 0;
    return this.recent.filter((ok) => !ok).length / this.recent.length;
  }

  private open(now: number): void {
    const backoff = this.options.breaker.openMs * 2 ** Math.min(this.opens, MAX_BACKOFF_DOUBLINGS);
    this.opens += 1;
    this.openUntil = now + backoff;
    this.probing = false;
    this.consecutive = 0;
  }

  private close(): void {
    // A breaker closing starts its failure-ratio window afresh; a healthy member's window just rolls on.
    if (this.openUntil > 0) this.recent.length = 0;
    this.openUntil = 0;
    this.opens = 0;
    this.probing = false;
    this.consecutive = 0;
  }

  private remember(ok: boolean): void {
    this.recent.push(ok);
    if (this.recent.length > WINDOW) this.recent.shift();
  }

  private ratioTooHigh(): boolean {
    return this.recent.length >= MIN_SAMPLES && this.errorRate() >= OPEN_RATIO;
  }
}
