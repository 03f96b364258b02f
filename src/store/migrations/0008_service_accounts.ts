// Service accounts: users of kind 'service', named by the application id their JWTs carry, with no email and no password.
import type { Migration } from "../migrate.js";

/*
 * A service account is a row of users so that everything keyed by a user (limits, keys, usage,
 * disable and its NOTIFY) works for it unchanged. It has no email and no password: both columns
 * become nullable, and a check keeps every person's row as it was (an email, no app_id) and every
 * service's without either (so no login can ever match it: login matches email_canonical, which
 * stays null). `name` is a display name for anyone; a service account's is required.
 * `allowed_models` limits what a service account's tokens may call (a person's keys carry their own lists).
 * The app_id index is unique: one token audience-holder maps to exactly one account.
 */
export const serviceAccounts: Migration = {
  version: 8,
  name: "service_accounts",
  sql: `
alter table users
  add column kind text not null default 'person' check (kind in ('person', 'service')),
  add column app_id text,
  add column name text,
  add column allowed_models text[] not null default '{}';
alter table users alter column email drop not null, alter column password_hash drop not null;
alter table users add constraint users_kind_fields check (
  (kind = 'person' and app_id is null and email is not null)
  or (kind = 'service' and app_id is not null and name is not null and email is null and email_canonical is null and password_hash is null));
alter table users add constraint users_person_models check (kind = 'service' or allowed_models = '{}');
create unique index users_app_id_key on users (app_id);
`,
};
