// Users are matched by one canonical email computed in JavaScript (src/auth/email.ts), unique in the table.
import type { Migration } from "../migrate.js";

/*
 * Until now uniqueness and lookup used Postgres `lower(email)` while the lockout counter used
 * JavaScript's toLowerCase(): the two disagree (on `İ`, for one, and per collation), which let one
 * account have many counters. From here on the canonical form is computed only in JavaScript and
 * stored beside the email as typed; the old lower(email) index goes, so there is one rule.
 *
 * SQL cannot compute the canonical form, so the column starts nullable and existing rows get their
 * value from the start-up backfill (UserStore.backfillCanonicalEmails, run by startIdentity before
 * the gateway listens). A null matches no login: a row written by an older replica during a rolling
 * deploy is filled in at the next start. A unique index ignores nulls, so backfilling never blocks.
 */
export const emailCanonical: Migration = {
  version: 5,
  name: "email_canonical",
  sql: `
alter table users add column email_canonical text;
create unique index users_email_canonical_key on users (email_canonical);
drop index users_email_key;
`,
};
