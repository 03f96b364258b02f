// Per-user and per-key limit overrides; null means "inherit" (the config default, or the user's for a key).
import type { Migration } from "../migrate.js";

export const limits: Migration = {
  version: 2,
  name: "limits",
  sql: `
alter table users
  add column requests_per_minute integer check (requests_per_minute > 0),
  add column tokens_per_minute integer check (tokens_per_minute > 0),
  add column max_concurrent_requests integer check (max_concurrent_requests > 0),
  add column monthly_budget_micro_usd bigint check (monthly_budget_micro_usd >= 0);
alter table api_keys
  add column requests_per_minute integer check (requests_per_minute > 0),
  add column tokens_per_minute integer check (tokens_per_minute > 0),
  add column max_concurrent_requests integer check (max_concurrent_requests > 0),
  add column monthly_budget_micro_usd bigint check (monthly_budget_micro_usd >= 0);
`,
};
