// The schema's migrations, oldest first; migrate() applies the ones a database lacks.
import type { Migration } from "../migrate.js";
import { identity } from "./0001_identity.js";
import { limits } from "./0002_limits.js";
import { usage } from "./0003_usage.js";
import { upstreamObjects } from "./0004_upstream_objects.js";
import { emailCanonical } from "./0005_email_canonical.js";
import { auditEvents } from "./0006_audit_events.js";
import { keyRotation } from "./0007_key_rotation.js";
import { serviceAccounts } from "./0008_service_accounts.js";
import { teams } from "./0009_teams.js";
import { oidcIdentities } from "./0010_oidc_identities.js";

/*
 * Each migration is a TypeScript module beside this one, named NNNN_name.ts (0001_keys.ts, ...),
 * exporting one `Migration` whose `sql` is a string: tsc then ships them in dist/ with no .sql
 * files to copy. Append new ones with the next version; never edit one that has been applied
 * (migrate() refuses a changed checksum).
 */
export const migrations: Migration[] = [identity, limits, usage, upstreamObjects, emailCanonical, auditEvents, keyRotation, serviceAccounts, teams, oidcIdentities];
