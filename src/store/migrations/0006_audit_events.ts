// The audit trail of control-plane changes: append-only, metadata only, never a secret.
import type { Migration } from "../migrate.js";

/*
 * One row per change: when, who (a user id, "operator", or "anonymous" for a login attempt),
 * from which address, the action (a closed set, src/auth/audit.ts), the user or key acted on,
 * and the fields that changed as [{"field", "old", "new", "secret"}] (a secret field says only
 * that it changed). The gateway only ever inserts; the triggers refuse UPDATE, DELETE and
 * TRUNCATE for everyone, so even a bug or an injected statement cannot rewrite history. Pruning
 * old rows is a deliberate act by the table's owner (disable the triggers, delete, re-enable).
 */
export const auditEvents: Migration = {
  version: 6,
  name: "audit_events",
  sql: `
create table audit_events (
  id          uuid        primary key,
  occurred_at timestamptz not null default clock_timestamp(),
  actor       text        not null,
  source      text,
  action      text        not null,
  target_id   text,
  changes     jsonb       not null default '[]'
);
create index audit_events_page on audit_events (occurred_at, id);
create index audit_events_target on audit_events (target_id, occurred_at);
create index audit_events_actor on audit_events (actor, occurred_at);

create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only: % refused', tg_op using errcode = '42501';
end
$$;
create trigger audit_events_no_update_delete before update or delete on audit_events
  for each row execute function audit_events_append_only();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_events_append_only();
`,
};
