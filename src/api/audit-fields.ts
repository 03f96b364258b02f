// What the audit trail shows of a user, an API key or a team: the fields an admin changes, as text; no secret, hash or key.
import type { FieldValues } from "../auth/audit.js";
import type { Limits } from "../core/limits.js";
import { formatUsd } from "../core/money.js";
import type { ApiKeyRecord } from "../store/api-keys.js";
import type { TeamRecord } from "../store/teams.js";
import type { UserRecord } from "../store/users.js";

/** Named as the proto names them, so a row reads like the request that made it. */
function limitFields(l: Limits): FieldValues {
  const text = (n: number | undefined) => (n === undefined ? undefined : String(n));
  return {
    "limits.requests_per_minute": text(l.requestsPerMinute),
    "limits.tokens_per_minute": text(l.tokensPerMinute),
    "limits.max_concurrent_requests": text(l.maxConcurrent),
    "limits.monthly_budget_usd": l.monthlyBudgetMicroUsd === undefined ? undefined : formatUsd(l.monthlyBudgetMicroUsd),
  };
}

/** The password hash is left out on purpose: a password change is recorded as a secret that changed. */
export function userFields(u: UserRecord): FieldValues {
  return {
    email: u.email,
    role: u.role,
    status: u.status,
    allowed_models: u.allowedModels.length === 0 ? undefined : u.allowedModels.join(","),
    ...limitFields(u.limits),
  };
}

/** The key's display prefix is left out too: it is the first characters of the secret. */
export function keyFields(k: ApiKeyRecord): FieldValues {
  return {
    user_id: k.userId,
    name: k.name,
    allowed_models: k.allowedModels.length === 0 ? undefined : k.allowedModels.join(","),
    expires_at: k.expiresAt?.toISOString(),
    revoked_at: k.revokedAt?.toISOString(),
    team_id: k.teamId,
    ...limitFields(k.limits),
  };
}

export function teamFields(t: TeamRecord): FieldValues {
  return { name: t.name, ...limitFields(t.limits) };
}
