// Users, API keys (SHA-256 hashes only) and sessions (hashes only).
import type { Migration } from "../migrate.js";

export const identity: Migration = {
  version: 1,
  name: "identity",
  sql: `
create table users (
  id            uuid primary key,
  email         text not null,
  role          text not null check (role in ('admin', 'member')),
  status        text not null check (status in ('active', 'disabled')),
  password_hash text not null,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));
create index users_page on users (created_at, id);

create table api_keys (
  id             uuid primary key,
  user_id        uuid not null references users (id) on delete cascade,
  name           text not null,
  prefix         text not null,
  key_hash       bytea not null,
  allowed_models text[] not null default '{}',
  created_at     timestamptz not null default now(),
  last_used_at   timestamptz,
  expires_at     timestamptz,
  revoked_at     timestamptz
);
create unique index api_keys_hash_key on api_keys (key_hash);
create index api_keys_user_page on api_keys (user_id, created_at, id);
create index api_keys_page on api_keys (created_at, id);

create table sessions (
  id         uuid primary key,
  user_id    uuid not null references users (id) on delete cascade,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create unique index sessions_hash_key on sessions (token_hash);
create index sessions_user on sessions (user_id);
`,
};
