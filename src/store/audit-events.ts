// SQL for the audit trail: insert and page through, newest first; nothing here updates or deletes a row.
import type postgres from "postgres";
import { randomUUID } from "node:crypto";
import type { AuditEntry, AuditSink, FieldChange } from "../auth/audit.js";
import { isObject } from "../core/json.js";
import { pageOf, type PageCursor } from "./page-token.js";

export interface AuditEventRecord {
  readonly id: string;
  readonly occurredAt: Date;
  readonly actor: string;
  readonly source: string | undefined;
  /** As stored: a row written by a newer version may name an action this one does not know. */
  readonly action: string;
  readonly targetId: string | undefined;
  readonly changes: readonly FieldChange[];
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly targetId?: string;
  /** Inclusive. */
  readonly start?: Date;
  /** Exclusive. */
  readonly end?: Date;
}

interface AuditRow {
  id: string;
  occurred_at: Date;
  actor: string;
  source: string | null;
  action: string;
  target_id: string | null;
  changes: unknown;
}

/** Works on the pool or inside a transaction, so a change and its row commit together. */
export class AuditStore implements AuditSink {
  constructor(private readonly sql: postgres.ISql) {}

  async append(e: AuditEntry): Promise<void> {
    // Sent as text and parsed by Postgres: a parameter typed jsonb would be JSON-encoded once more, into a string.
    await this.sql`
      insert into audit_events (id, actor, source, action, target_id, changes)
      values (${randomUUID()}, ${e.actor}, ${e.source ?? null}, ${e.action}, ${e.targetId ?? null}, ${JSON.stringify(e.changes)}::text::jsonb)`;
  }

  async list(filter: AuditFilter, limit: number, after: PageCursor | undefined): Promise<{ events: AuditEventRecord[]; next: string }> {
    const sql = this.sql;
    const rows = await sql<AuditRow[]>`
      select id, occurred_at, actor, source, action, target_id, changes from audit_events
      where true
        ${filter.actor !== undefined ? sql`and actor = ${filter.actor}` : sql``}
        ${filter.action !== undefined ? sql`and action = ${filter.action}` : sql``}
        ${filter.targetId !== undefined ? sql`and target_id = ${filter.targetId}` : sql``}
        ${filter.start !== undefined ? sql`and occurred_at >= ${filter.start}` : sql``}
        ${filter.end !== undefined ? sql`and occurred_at < ${filter.end}` : sql``}
        ${after ? sql`and (occurred_at, id) < (select occurred_at, id from audit_events where id = ${after.id})` : sql``}
      order by occurred_at desc, id desc
      limit ${limit + 1}`;
    const { items, next } = pageOf(rows, limit, record);
    return { events: items, next };
  }
}

function record(r: AuditRow): AuditEventRecord {
  return {
    id: r.id,
    occurredAt: r.occurred_at,
    actor: r.actor,
    source: r.source ?? undefined,
    action: r.action,
    targetId: r.target_id ?? undefined,
    changes: Array.isArray(r.changes) ? r.changes.flatMap(change) : [],
  };
}

/** The column is ours, but it is read back as JSON: keep only well-formed entries. */
function change(v: unknown): FieldChange[] {
  if (!isObject(v) || typeof v["field"] !== "string") return [];
  const old = v["old"];
  const now = v["new"];
  return [
    {
      field: v["field"],
      ...(typeof old === "string" ? { old } : {}),
      ...(typeof now === "string" ? { new: now } : {}),
      ...(v["secret"] === true ? { secret: true } : {}),
    },
  ];
}
