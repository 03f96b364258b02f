// How a pool chooses among its members and when it stops trusting one: the routing settings, validated in src/config.

/** weighted: random by weight; least_busy: fewest requests in flight; least_latency: lowest moving average of time to first byte. */
export type Strategy = "weighted" | "least_busy" | "least_latency";

export interface RoutingOptions {
  readonly strategy: Strategy;
  /** Requests with the same leading prompt go to the same member while it is healthy (Azure's prompt cache). */
  readonly cacheAffinity: boolean;
  /** Upstream attempts per request at most (the first and its failovers). */
  readonly maxAttempts: number;
  readonly breaker: {
    /** Consecutive failures that open a member's breaker. */
    readonly failures: number;
    /** How long an open breaker keeps the member out before one probe; doubles on each failed probe, up to 16 times. */
    readonly openMs: number;
  };
  /** A 429 without a retry hint cools the member this long; any hint is capped at maxCoolMs. */
  readonly defaultCoolMs: number;
  readonly maxCoolMs: number;
}

export const DEFAULT_ROUTING: RoutingOptions = {
  strategy: "weighted",
  cacheAffinity: true,
  maxAttempts: 3,
  breaker: { failures: 5, openMs: 10_000 },
  defaultCoolMs: 5_000,
  maxCoolMs: 60_000,
};
