// First start with an empty store: one admin user and one API key, whose secrets are shown once.
import { randomBytes } from "node:crypto";
import { hashPassword } from "../auth/passwords.js";
import { API_KEY_PREFIX, newSecret } from "../auth/tokens.js";
import type { ApiKeyStore } from "../store/api-keys.js";
import type { UserStore } from "../store/users.js";

export interface Bootstrap {
  readonly email: string;
  readonly password: string;
  readonly apiKey: string;
}

export const BOOTSTRAP_EMAIL = "admin@aik.local";

/** Does nothing (undefined) unless the users table is empty; concurrent starts create one admin. */
export async function bootstrapAdmin(users: UserStore, keys: ApiKeyStore): Promise<Bootstrap | undefined> {
  if ((await users.count()) > 0) return undefined;
  const password = randomBytes(18).toString("base64url");
  const admin = await users.createFirstAdmin(BOOTSTRAP_EMAIL, await hashPassword(password));
  if (!admin) return undefined;
  const { secret, hash, display } = newSecret(API_KEY_PREFIX);
  await keys.create({ userId: admin.id, name: "bootstrap", prefix: display, hash, allowedModels: [], expiresAt: undefined, limits: {} });
  return { email: BOOTSTRAP_EMAIL, password, apiKey: secret };
}
