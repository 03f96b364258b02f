// Key rotation: a key's replaced secret (its hash only) and the moment it stops working.
import type { Migration } from "../migrate.js";

/*
 * One rotation at a time: RotateApiKey moves key_hash here with an expiry and stores the new
 * secret's hash in key_hash, so the key keeps its id, limits and usage. Rotating again within
 * the grace period overwrites the pair, which ends the older secret at once. A lookup matches
 * key_hash, or previous_hash while previous_expires_at is ahead of the database's clock.
 */
export const keyRotation: Migration = {
  version: 7,
  name: "key_rotation",
  sql: `
alter table api_keys add column previous_hash bytea, add column previous_expires_at timestamptz;
create unique index api_keys_previous_hash_key on api_keys (previous_hash);
`,
};
