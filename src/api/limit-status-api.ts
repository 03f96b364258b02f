// GetLimitStatus: a user's limits and each live key's, with what the limiter counts as used right now.
import type { AdminServiceServer, LimitUsage } from "../../gen/aik/v1/admin.js";
import type { AdminCaller, AdminCallers } from "../auth/admin-caller.js";
import { GatewayError, invalidArgument } from "../core/errors.js";
import { resolveUserLimits, type Limits } from "../core/limits.js";
import { formatMicroUsd } from "../core/money.js";
import { monthOf } from "../limits/calendar-month.js";
import type { Limiter, SubjectUsage } from "../limits/limiter.js";
import { LimiterUnavailableError } from "../limits/resilient-limiter.js";
import type { ApiKeyStore } from "../store/api-keys.js";
import type { UserStore } from "../store/users.js";
import { requireSelfOrAdmin } from "./access.js";
import { checkId } from "./identity-checks.js";
import { limitsToProto } from "./limits-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type LimitStatusApi = UnaryApi<Pick<AdminServiceServer, "getLimitStatus">>;

export interface LimitStatusParts {
  readonly callers: AdminCallers;
  readonly users: UserStore;
  readonly keys: ApiKeyStore;
  readonly limiter: Limiter;
  /** The configured default limits as they are now (a reload may change them). */
  readonly defaults: () => Limits;
}

/** A page of the key list: a user with more live keys than this is shown with the oldest this many. */
const MAX_KEYS = 1000;

export function limitStatusApi(p: LimitStatusParts): LimitStatusApi {
  return {
    async getLimitStatus(req, ctx) {
      const caller = await p.callers.of(ctx);
      const userId = req.userId === "me" ? selfOf(caller) : checkId(req.userId, "user_id");
      requireSelfOrAdmin(caller, userId);
      const user = await p.users.get(userId);
      if (!user) throw new GatewayError("not_found", "No such user.", { param: "user_id", reason: "not_found" });
      const now = Date.now();
      const page = await p.keys.list({ userId, includeRevoked: false }, MAX_KEYS, undefined);
      const live = page.keys.filter((k) => k.expiresAt === undefined || k.expiresAt.getTime() > now);
      // The limits the limiter admits with: the user's resolved over the defaults, a key's own (see ApiKeyAuthenticator).
      const limits = resolveUserLimits(user.limits, p.defaults());
      const read = (kind: "user" | "key", id: string, l: Limits): Promise<SubjectUsage> =>
        p.limiter.usage({ kind, id, partition: userId }, l).catch((err: unknown) => {
          if (err instanceof LimiterUnavailableError) {
            throw new GatewayError("unavailable", "Limit counters cannot be read right now; try again shortly.", { reason: "service_unavailable", cause: err });
          }
          throw err;
        });
      const [used, keys] = await Promise.all([
        read("user", userId, limits),
        Promise.all(
          live.map(async (k) => ({
            keyId: k.id,
            name: k.name,
            prefix: k.prefix,
            limits: limitsToProto(k.limits),
            used: usageMessage(await read("key", k.id, k.limits)),
          })),
        ),
      ]);
      return { userId, month: monthOf(now), limits: limitsToProto(limits), used: usageMessage(used), keys };
    },
  };
}

/** "me": the session's user; the operator token belongs to no user. */
function selfOf(caller: AdminCaller): string {
  if (caller.kind !== "user") throw invalidArgument("user_id", "Invalid 'user_id': the operator token is no user, so 'me' names no one; give a user id.");
  return caller.user.id;
}

function usageMessage(u: SubjectUsage): LimitUsage {
  return {
    requestsPerMinute: u.requests,
    tokensPerMinute: u.tokens,
    concurrentRequests: u.concurrent,
    monthlySpentUsd: formatMicroUsd(u.spentMicroUsd),
  };
}
