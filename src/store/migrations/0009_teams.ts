// Teams: a named group of users with limits and a monthly budget; team keys, and usage rows that name the team.
import type { Migration } from "../migrate.js";

/*
 * A team's limit columns mean what a user's do, except that null is "no team limit of that kind"
 * (a team inherits nothing). Names are unique whatever their case. A key's team is set when the
 * key is created and never changes, so a usage row's team_id (copied from the caller at request
 * time, like user_id and key_id) always agrees with its key. Usage team_id is text without a
 * foreign key, as user_id is: billing history outlives a deleted team. In usage_daily it is not
 * part of the key: a key determines its team. Removing a member revokes their keys of that team,
 * so a membership row is what lets a user hold (new) team keys.
 */
export const teams: Migration = {
  version: 9,
  name: "teams",
  sql: `
create table teams (
  id                       uuid primary key,
  name                     text not null,
  -- Unique case-insensitively: the name case-folded in JavaScript (src/core/case-fold.ts), as emails are.
  name_canonical           text not null,
  requests_per_minute      integer check (requests_per_minute > 0),
  tokens_per_minute        integer check (tokens_per_minute > 0),
  max_concurrent_requests  integer check (max_concurrent_requests > 0),
  monthly_budget_micro_usd bigint check (monthly_budget_micro_usd >= 0),
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now()
);
create unique index teams_name_key on teams (name_canonical);
create index teams_page on teams (created_at, id);

create table team_members (
  team_id  uuid not null references teams (id) on delete cascade,
  user_id  uuid not null references users (id) on delete cascade,
  role     text not null check (role in ('owner', 'member')),
  added_at timestamptz not null default now(),
  primary key (team_id, user_id)
);
create index team_members_user on team_members (user_id);

alter table api_keys add column team_id uuid references teams (id);
create index api_keys_team_page on api_keys (team_id, created_at, id) where team_id is not null;

alter table usage_records add column team_id text;
create index usage_records_team on usage_records (team_id, occurred_at) where team_id is not null;
alter table usage_daily add column team_id text;
create index usage_daily_team on usage_daily (team_id, day) where team_id is not null;
alter table pending_usage add column team_id text;
`,
};
