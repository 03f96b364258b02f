// The audit trail's vocabulary: the closed set of actions, who acted, and which fields changed; never a secret.
import type { AdminCaller } from "./admin-caller.js";

/** Every action the audit trail records; the README's "Audit log" section lists them too. */
export const AUDIT_ACTIONS = [
  "user.created",
  "user.updated",
  "user.unlocked",
  "api_key.created",
  "api_key.revoked",
  "api_key.rotated",
  "api_key.updated",
  "team.created",
  "team.updated",
  "team.member_added",
  "team.member_removed",
  "login.succeeded",
  "login.account_locked",
  "login.source_throttled",
  "logout",
  "config.reloaded",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(text: string): text is AuditAction {
  return AUDIT_ACTIONS.some((a) => a === text);
}

/** The operator token's holder. */
export const OPERATOR_ACTOR = "operator";
/** A login attempt, before anyone is known to be who they claim. */
export const ANONYMOUS_ACTOR = "anonymous";

/**
 * One field's change. Values are ids, names, roles, limits and times, as text; absent means "had
 * none". A secret field (a password) is recorded with `secret` and never with a value.
 */
export interface FieldChange {
  readonly field: string;
  readonly old?: string;
  readonly new?: string;
  readonly secret?: true;
}

export interface AuditEntry {
  /** A user id, OPERATOR_ACTOR or ANONYMOUS_ACTOR. */
  readonly actor: string;
  /** The caller's network address as the gateway saw it (past trusted proxies). */
  readonly source: string | undefined;
  readonly action: AuditAction;
  /** The user, API key or team acted on. */
  readonly targetId: string | undefined;
  readonly changes: readonly FieldChange[];
}

/** Where entries go: the audit_events table, on the pool or inside the change's own transaction. */
export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
}

export function actorOf(caller: AdminCaller): string {
  return caller.kind === "operator" ? OPERATOR_ACTOR : caller.user.id;
}

/** A record's auditable fields, by name; undefined for "none". Never put a secret in one. */
export type FieldValues = Readonly<Record<string, string | undefined>>;

/** The fields whose values differ; with no `before`, every field that has a value (a creation). */
export function changedFields(before: FieldValues | undefined, after: FieldValues): FieldChange[] {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  const out: FieldChange[] = [];
  for (const field of names) {
    const old = before?.[field];
    const now = after[field];
    if (old === now) continue;
    out.push({ field, ...(old === undefined ? {} : { old }), ...(now === undefined ? {} : { new: now }) });
  }
  return out;
}

/** A secret was set or replaced: the row says so and holds nothing of it. */
export function secretChanged(field: string): FieldChange {
  return { field, secret: true };
}
