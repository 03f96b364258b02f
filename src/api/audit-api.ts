// ListAuditEvents: its filters checked, and audit rows as the proto's AuditEvent messages.
import type { AuditEvent, ListAuditEventsRequest } from "../../gen/aik/v1/admin.js";
import { ANONYMOUS_ACTOR, AUDIT_ACTIONS, isAuditAction, OPERATOR_ACTOR } from "../auth/audit.js";
import { invalidArgument } from "../core/errors.js";
import type { AuditEventRecord, AuditFilter } from "../store/audit-events.js";
import { checkId } from "./identity-checks.js";

export function auditFilter(req: ListAuditEventsRequest): AuditFilter {
  if (req.action !== "" && !isAuditAction(req.action)) {
    throw invalidArgument("action", `Invalid 'action': one of ${AUDIT_ACTIONS.join(", ")}.`);
  }
  if (req.startTime && req.endTime && req.startTime.getTime() >= req.endTime.getTime()) {
    throw invalidArgument("end_time", "Invalid 'end_time': it must come after 'start_time'.");
  }
  return {
    ...(req.actor !== "" ? { actor: checkActor(req.actor) } : {}),
    ...(req.action !== "" ? { action: req.action } : {}),
    ...(req.targetId !== "" ? { targetId: checkId(req.targetId, "target_id") } : {}),
    ...(req.startTime ? { start: req.startTime } : {}),
    ...(req.endTime ? { end: req.endTime } : {}),
  };
}

function checkActor(actor: string): string {
  if (actor === OPERATOR_ACTOR || actor === ANONYMOUS_ACTOR) return actor;
  return checkId(actor, "actor");
}

export function auditEventMessage(e: AuditEventRecord): AuditEvent {
  return {
    id: e.id,
    occurredAt: e.occurredAt,
    actor: e.actor,
    source: e.source ?? "",
    action: e.action,
    targetId: e.targetId ?? "",
    changes: e.changes.map((c) => ({ field: c.field, oldValue: c.old, newValue: c.new, secret: c.secret === true })),
  };
}
