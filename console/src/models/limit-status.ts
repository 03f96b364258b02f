// What the limiter counts as used right now against a user's and each live key's limits (GetLimitStatus).
import { callJson } from "../api";
import { listAt, numberAt, objectAt, objectOf, optionalNumberAt, textAt, type JsonObject } from "../json";
import { decodeLimits, type Limits } from "./limits";

export interface LimitUsage {
  /** Absent when there is no such limit (the limiter keeps no bucket). */
  readonly requestsPerMinute: number | undefined;
  readonly tokensPerMinute: number | undefined;
  readonly concurrentRequests: number;
  /** Exact decimal string, USD. */
  readonly monthlySpentUsd: string;
}

export interface KeyLimitStatus {
  readonly keyId: string;
  readonly name: string;
  readonly prefix: string;
  readonly limits: Limits;
  readonly used: LimitUsage;
}

export interface LimitStatus {
  readonly userId: string;
  /** "2026-11" (UTC). */
  readonly month: string;
  readonly limits: Limits;
  readonly used: LimitUsage;
  readonly keys: readonly KeyLimitStatus[];
}

function decodeUsage(o: JsonObject): LimitUsage {
  return {
    requestsPerMinute: optionalNumberAt(o, "requests_per_minute"),
    tokensPerMinute: optionalNumberAt(o, "tokens_per_minute"),
    concurrentRequests: numberAt(o, "concurrent_requests"),
    monthlySpentUsd: textAt(o, "monthly_spent_usd") || "0",
  };
}

/** `userId` "me" is the caller. */
export async function getLimitStatus(userId: string): Promise<LimitStatus> {
  const o = objectOf(await callJson(`/v1/admin/users/${encodeURIComponent(userId)}/limit-status`), "limit status");
  return {
    userId: textAt(o, "user_id"),
    month: textAt(o, "month"),
    limits: decodeLimits(o["limits"]),
    used: decodeUsage(objectAt(o, "used")),
    keys: listAt(o, "keys").map((v) => {
      const k = objectOf(v, "key limit status");
      return { keyId: textAt(k, "key_id"), name: textAt(k, "name"), prefix: textAt(k, "prefix"), limits: decodeLimits(k["limits"]), used: decodeUsage(objectAt(k, "used")) };
    }),
  };
}
