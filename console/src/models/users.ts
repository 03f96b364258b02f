// Users as the Admin API shows them, and the admin's calls on them: list, create, disable, unlock, role, limits.
import { callJson } from "../api";
import { listAt, objectAt, objectOf, optionalTextAt, textAt, type JsonValue } from "../json";
import { decodeLimits, limitsJson, type Limits } from "./limits";

export type Role = "admin" | "member";

export interface User {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: string | undefined;
  readonly lockedUntil: string | undefined;
  readonly limits: Limits;
  /** What to call the user: the email, or a service account's name (it has no email). */
  readonly label: string;
}

export function decodeUser(v: unknown): User {
  const o = objectOf(v, "user");
  return {
    id: textAt(o, "id"),
    email: textAt(o, "email"),
    // Anything but an explicit admin is treated as a member: the page never offers more than the API allows.
    role: textAt(o, "role") === "ROLE_ADMIN" ? "admin" : "member",
    disabled: textAt(o, "status") === "USER_STATUS_DISABLED",
    createdAt: optionalTextAt(o, "created_at"),
    lockedUntil: optionalTextAt(o, "locked_until"),
    limits: decodeLimits(o["limits"]),
    label: textAt(o, "kind") === "USER_KIND_SERVICE" ? `${textAt(o, "name")} (service account)` : textAt(o, "email"),
  };
}

/** Every user, a page at a time (admins and the operator only). */
export async function listUsers(): Promise<User[]> {
  const users: User[] = [];
  let token = "";
  // A thousand users a page; ten pages is more than a console list should show.
  for (let page = 0; page < 10; page++) {
    const o = objectOf(await callJson("/v1/admin/users", { query: { page_size: "1000", page_token: token } }), "users");
    users.push(...listAt(o, "users").map(decodeUser));
    token = textAt(o, "next_page_token");
    if (token === "") break;
  }
  return users;
}

export async function createUser(email: string, password: string, role: Role, limits: Limits): Promise<User> {
  const body = { email, password, role: role === "admin" ? "ROLE_ADMIN" : "ROLE_MEMBER", limits: limitsJson(limits) };
  return decodeUser(objectAt(objectOf(await callJson("/v1/admin/users", { method: "POST", body }), "user"), "user"));
}

export interface UserChange {
  readonly role?: Role;
  readonly disabled?: boolean;
  readonly limits?: Limits;
}

export async function updateUser(id: string, change: UserChange): Promise<User> {
  const body: Record<string, JsonValue> = {};
  if (change.role !== undefined) body["role"] = change.role === "admin" ? "ROLE_ADMIN" : "ROLE_MEMBER";
  if (change.disabled !== undefined) body["status"] = change.disabled ? "USER_STATUS_DISABLED" : "USER_STATUS_ACTIVE";
  if (change.limits !== undefined) body["limits"] = limitsJson(change.limits);
  const o = objectOf(await callJson(`/v1/admin/users/${encodeURIComponent(id)}`, { method: "PATCH", body }), "user");
  return decodeUser(objectAt(o, "user"));
}

export async function unlockUser(id: string): Promise<User> {
  const o = objectOf(await callJson(`/v1/admin/users/${encodeURIComponent(id)}:unlock`, { method: "POST", body: {} }), "user");
  return decodeUser(objectAt(o, "user"));
}
