// Store records -> the proto's User and ApiKey messages, and the proto's enums -> store values.
import { Role, UserKind, UserStatus, type ApiKey, type User } from "../../gen/aik/v1/admin.js";
import { invalidArgument } from "../core/errors.js";
import { limitsToProto } from "./limits-mapping.js";
import type { ApiKeyRecord } from "../store/api-keys.js";
import type { UserRecord, UserRole, UserStatus as StoreStatus } from "../store/users.js";

export function userMessage(u: UserRecord, lockedUntil?: number): User {
  return {
    id: u.id,
    email: u.email,
    role: u.role === "admin" ? Role.ROLE_ADMIN : Role.ROLE_MEMBER,
    status: u.status === "active" ? UserStatus.USER_STATUS_ACTIVE : UserStatus.USER_STATUS_DISABLED,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    lockedUntil: lockedUntil === undefined ? undefined : new Date(lockedUntil),
    limits: limitsToProto(u.limits),
    kind: u.kind === "service" ? UserKind.USER_KIND_SERVICE : UserKind.USER_KIND_PERSON,
    appId: u.appId ?? "",
    name: u.name ?? "",
    allowedModels: [...u.allowedModels],
  };
}

export function apiKeyMessage(k: ApiKeyRecord): ApiKey {
  return {
    id: k.id,
    userId: k.userId,
    name: k.name,
    prefix: k.prefix,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    allowedModels: [...k.allowedModels],
    limits: limitsToProto(k.limits),
    previousSecretExpiresAt: k.previousExpiresAt,
    teamId: k.teamId ?? "",
  };
}

/** ROLE_UNSPECIFIED -> undefined ("leave as is" or "default"); a number outside the enum is refused. */
export function storeRole(r: Role): UserRole | undefined {
  if (r === Role.ROLE_ADMIN) return "admin";
  if (r === Role.ROLE_MEMBER) return "member";
  if (r === Role.ROLE_UNSPECIFIED) return undefined;
  throw invalidArgument("role", "Invalid 'role': expected ROLE_ADMIN or ROLE_MEMBER.");
}

export function storeStatus(s: UserStatus): StoreStatus | undefined {
  if (s === UserStatus.USER_STATUS_ACTIVE) return "active";
  if (s === UserStatus.USER_STATUS_DISABLED) return "disabled";
  if (s === UserStatus.USER_STATUS_UNSPECIFIED) return undefined;
  throw invalidArgument("status", "Invalid 'status': expected USER_STATUS_ACTIVE or USER_STATUS_DISABLED.");
}
