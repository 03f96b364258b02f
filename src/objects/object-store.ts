// Who owns which upstream object: ids, owners and expiry in Postgres, with a small cache in front for polling clients.
import type postgres from "postgres";
import { TtlCache } from "../core/ttl-cache.js";

export type ObjectKind = "response" | "item";

export interface OwnedObject {
  readonly id: string;
  readonly kind: ObjectKind;
  /** An item's response: deleting the response ends its items. */
  readonly parentId: string | undefined;
  readonly userId: string;
  readonly keyId: string;
  /** The gateway deployment whose Azure resource holds it. */
  readonly deploymentId: string;
  readonly expiresAt: Date;
}

interface Row {
  id: string;
  kind: string;
  parent_id: string | null;
  user_id: string;
  key_id: string;
  deployment_id: string;
  expires_at: Date;
}

const CACHE_ENTRIES = 10_000;
const CACHE_TTL_MS = 60_000;
// Ids are 48 random hex digits handed out only after their row is written, so an id unknown once
// stays unknown: remembering misses is safe and keeps a flood of made-up ids off the database.
const MISS_TTL_MS = 30_000;

export class ObjectStore {
  private readonly known = new TtlCache<OwnedObject>(CACHE_ENTRIES, CACHE_TTL_MS);
  private readonly unknown = new TtlCache<true>(CACHE_ENTRIES, MISS_TTL_MS);

  constructor(private readonly sql: postgres.Sql) {}

  /** Idempotent: an id recorded twice keeps its first owner. */
  async record(objects: readonly OwnedObject[]): Promise<void> {
    if (objects.length === 0) return;
    const rows = objects.map((o) => ({
      id: o.id,
      kind: o.kind,
      parent_id: o.parentId ?? null,
      user_id: o.userId,
      key_id: o.keyId,
      deployment_id: o.deploymentId,
      expires_at: o.expiresAt,
    }));
    await this.sql`insert into owned_objects ${this.sql(rows, "id", "kind", "parent_id", "user_id", "key_id", "deployment_id", "expires_at")} on conflict (id) do nothing`;
    for (const o of objects) {
      this.unknown.delete(o.id);
      this.known.set(o.id, o);
    }
  }

  /** The live records of these ids (expired ones count as unknown). */
  async find(ids: readonly string[], now = new Date()): Promise<Map<string, OwnedObject>> {
    const found = new Map<string, OwnedObject>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.known.get(id);
      if (cached) found.set(id, cached);
      else if (!this.unknown.get(id)) missing.push(id);
    }
    if (missing.length > 0) {
      const rows = await this.sql<Row[]>`
        select id, kind, parent_id, user_id, key_id, deployment_id, expires_at from owned_objects where id = any(${missing}::text[])`;
      for (const r of rows) {
        const o: OwnedObject = {
          id: r.id,
          kind: r.kind === "item" ? "item" : "response",
          parentId: r.parent_id ?? undefined,
          userId: r.user_id,
          keyId: r.key_id,
          deploymentId: r.deployment_id,
          expiresAt: r.expires_at,
        };
        this.known.set(o.id, o);
        found.set(o.id, o);
      }
      for (const id of missing) if (!found.has(id)) this.unknown.set(id, true);
    }
    for (const [id, o] of found) if (o.expiresAt.getTime() <= now.getTime()) found.delete(id);
    return found;
  }

  /** The object was deleted upstream: its id and its items' ids stop naming anything (on other replicas once their cache lapses). */
  async forget(id: string): Promise<void> {
    this.known.delete(id);
    this.known.deleteWhere((o) => o.parentId === id);
    await this.sql`delete from owned_objects where id = ${id} or parent_id = ${id}`;
  }

  /** Drops records whose objects Azure has let expire. */
  async purgeExpired(now = new Date()): Promise<number> {
    const rows = await this.sql`delete from owned_objects where expires_at <= ${now} returning id`;
    return rows.length;
  }
}
