// Limit values as the core passes them around: per minute, concurrent, and a monthly budget in micro-USD.

/** Each field: a positive limit, or undefined for "none at this level". */
export interface Limits {
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  readonly maxConcurrent?: number;
  readonly monthlyBudgetMicroUsd?: number;
}

/** The limits one request is held to: its user's (overrides over config defaults), its key's own, and a team key's team's. */
export interface CallerLimits {
  readonly user: Limits;
  readonly key: Limits;
  /** Set on a team key: the team's own limits (nothing inherited, no defaults). */
  readonly team?: Limits | undefined;
}

/** A user's effective limits: each override, else the configured default. */
export function resolveUserLimits(overrides: Limits, defaults: Limits): Limits {
  return {
    requestsPerMinute: overrides.requestsPerMinute ?? defaults.requestsPerMinute,
    tokensPerMinute: overrides.tokensPerMinute ?? defaults.tokensPerMinute,
    maxConcurrent: overrides.maxConcurrent ?? defaults.maxConcurrent,
    monthlyBudgetMicroUsd: overrides.monthlyBudgetMicroUsd ?? defaults.monthlyBudgetMicroUsd,
  };
}
