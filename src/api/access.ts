// Who may do what on the control plane: the operator and admins act on anyone, a member only on themselves.
import { actorOf, type AuditAction, type AuditEntry, type FieldChange } from "../auth/audit.js";
import type { AdminCaller } from "../auth/admin-caller.js";
import type { CallContext } from "../core/context.js";
import { GatewayError } from "../core/errors.js";

function denied(): GatewayError {
  return new GatewayError("permission_denied", "This action needs an admin session or the operator token.", { reason: "permission_denied" });
}

export function isAdmin(c: AdminCaller): boolean {
  return c.kind === "operator" || c.user.role === "admin";
}

export function requireAdmin(c: AdminCaller): void {
  if (!isAdmin(c)) throw denied();
}

/** What only the holder of the operator token may do (reload the configuration). */
export function requireOperator(c: AdminCaller, what: string): void {
  if (c.kind !== "operator") throw new GatewayError("permission_denied", `${what} needs the operator token.`, { reason: "permission_denied" });
}

/** A member acts only on themselves: another user's id is refused before any lookup. */
export function requireSelfOrAdmin(c: AdminCaller, userId: string): void {
  if (!isAdmin(c) && (c.kind !== "user" || c.user.id !== userId)) throw denied();
}

/** The audit row of a change this caller made in this call. */
export function auditEntry(caller: AdminCaller, ctx: CallContext, action: AuditAction, targetId: string | undefined, changes: readonly FieldChange[]): AuditEntry {
  return { actor: actorOf(caller), source: ctx.peer, action, targetId, changes };
}
