// API keys as the Admin API lists them (never a secret), and the calls the keys page makes: list, create, revoke.
import { callJson } from "../api";
import { listAt, objectAt, objectOf, optionalTextAt, textAt, textsAt, type JsonObject } from "../json";
import { decodeLimits, limitsJson, type Limits } from "./limits";

export interface ApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly allowedModels: readonly string[];
  readonly limits: Limits;
  readonly createdAt: string | undefined;
  readonly lastUsedAt: string | undefined;
  readonly expiresAt: string | undefined;
  readonly revokedAt: string | undefined;
  /** The team a team key belongs to; "" for a key of no team. */
  readonly teamId: string;
}

export type KeyState = "active" | "revoked" | "expired";

export function decodeKey(v: unknown): ApiKey {
  const o = objectOf(v, "api key");
  return {
    id: textAt(o, "id"),
    userId: textAt(o, "user_id"),
    name: textAt(o, "name"),
    prefix: textAt(o, "prefix"),
    allowedModels: textsAt(o, "allowed_models"),
    limits: decodeLimits(o["limits"]),
    createdAt: optionalTextAt(o, "created_at"),
    lastUsedAt: optionalTextAt(o, "last_used_at"),
    expiresAt: optionalTextAt(o, "expires_at"),
    revokedAt: optionalTextAt(o, "revoked_at"),
    teamId: textAt(o, "team_id"),
  };
}

export function keyState(k: ApiKey, now = Date.now()): KeyState {
  if (k.revokedAt !== undefined) return "revoked";
  if (k.expiresAt !== undefined && new Date(k.expiresAt).getTime() <= now) return "expired";
  return "active";
}

/** The keys of `userId` (the caller's own when undefined; an admin's undefined with `everyone` lists all), revoked ones included. */
export async function listKeys(userId: string | undefined): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let token = "";
  for (let page = 0; page < 10; page++) {
    const query = { user_id: userId, include_revoked: "true", page_size: "1000", page_token: token };
    const o = objectOf(await callJson("/v1/admin/api-keys", { query }), "api keys");
    keys.push(...listAt(o, "api_keys").map(decodeKey));
    token = textAt(o, "next_page_token");
    if (token === "") break;
  }
  return keys;
}

export interface NewKey {
  readonly userId: string | undefined;
  readonly name: string;
  readonly allowedModels: readonly string[];
  /** RFC 3339, or undefined for a key that does not expire. */
  readonly expiresAt: string | undefined;
  readonly limits: Limits;
}

/** The created key's metadata and its secret; the caller shows the secret once and lets go of it. */
export async function createKey(k: NewKey): Promise<{ key: ApiKey; secret: string }> {
  const body: JsonObject = { name: k.name, allowed_models: [...k.allowedModels], limits: limitsJson(k.limits) };
  if (k.userId !== undefined) body["user_id"] = k.userId;
  if (k.expiresAt !== undefined) body["expires_at"] = k.expiresAt;
  const o = objectOf(await callJson("/v1/admin/api-keys", { method: "POST", body }), "created key");
  return { key: decodeKey(objectAt(o, "api_key")), secret: textAt(o, "secret") };
}

export async function revokeKey(id: string): Promise<ApiKey> {
  const o = objectOf(await callJson(`/v1/admin/api-keys/${encodeURIComponent(id)}:revoke`, { method: "POST", body: {} }), "revoked key");
  return decodeKey(objectAt(o, "api_key"));
}

/** A form's "gpt-4o, gpt-4o-mini" as a list of model names; an empty text is the empty list (every model). */
export function modelList(text: string): string[] {
  return text
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
}
