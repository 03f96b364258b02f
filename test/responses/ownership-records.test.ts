// Ownership lives in Postgres as ids, owner and expiry only, so every replica on the same database enforces it.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { create, expectForeignLikeUnknown, expectGrpcForeignLikeUnknown, send, STYLES } from "./ownership-probes.js";

let t: TestGateway;
let a: Provisioned;
let b: Provisioned;
let replica: GatewayProcess | undefined;

beforeAll(async () => {
  t = await startTestGateway();
  [a, b, replica] = await Promise.all([
    provisionUser(t.httpUrl, t.adminToken, "member"),
    provisionUser(t.httpUrl, t.adminToken, "member"),
    startReplica(t),
  ]);
});
afterAll(async () => {
  await replica?.stop();
  await t.close();
});
beforeEach(() => t.emulator.clearRequests());

describe("ownership records", () => {
  // The documented columns (migration 0004): nothing here could hold a prompt or an answer.
  const COLUMNS = ["id", "kind", "parent_id", "user_id", "key_id", "deployment_id", "created_at", "expires_at"];
  const DAY_MS = 24 * 3600_000;

  it("are ids, owner, deployment and expiry in Postgres, in a table with no column for content", async () => {
    const marker = `ownership-marker-${randomBytes(6).toString("hex")}`;
    const own = await create(t.httpUrl, a.apiKey, { input: marker, instructions: marker, metadata: { note: marker } });
    const sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 1 });
    try {
      const columns = await sql<Array<{ column_name: string }>>`
        select column_name from information_schema.columns
        where table_schema = current_schema() and table_name = 'owned_objects' order by ordinal_position`;
      expect(columns.map((c) => c.column_name)).toEqual(COLUMNS);

      const rows = await sql`select * from owned_objects where id = ${own.id}`;
      expect(rows).toHaveLength(1);
      const row = rows[0] ?? {};
      expect(Object.keys(row)).toEqual(COLUMNS);
      expect(row).toMatchObject({ id: own.id, kind: "response", parent_id: null, user_id: a.userId, key_id: a.keyId, deployment_id: "gpt-4o-mini" });
      expect(row.created_at).toBeInstanceOf(Date);
      expect(Math.abs(Number(row.created_at) - Date.now())).toBeLessThan(60_000);
      expect(Math.abs(Number(row.expires_at) - Date.now() - 30 * DAY_MS)).toBeLessThan(60_000);

      const item = await sql`select kind, parent_id, user_id, key_id from owned_objects where id = ${own.itemId}`;
      expect(item).toEqual([{ kind: "item", parent_id: own.id, user_id: a.userId, key_id: a.keyId }]);
      const all = await sql`select * from owned_objects`;
      expect(JSON.stringify(all)).not.toContain(marker);
    } finally {
      await sql.end();
    }
  });
});

describe("a second gateway process on the same database", () => {
  it("honours ownership recorded by the first: B gets the unknown-id answer there, A gets the response", async () => {
    const r = replica;
    if (!r) throw new Error("the replica did not start");
    const own = await create(t.httpUrl, a.apiKey);
    t.emulator.clearRequests();
    for (const style of STYLES) await expectForeignLikeUnknown(r.httpUrl, style, b.apiKey, { response: [own.id], item: [own.itemId] });
    await expectGrpcForeignLikeUnknown(r.grpcAddress, b.apiKey, { response: [own.id], item: [own.itemId] });
    expect(t.emulator.requests).toEqual([]);
    const read = await send(r.httpUrl, a.apiKey, "GET", `/v1/responses/${own.id}`);
    expect(read.status, read.body).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ id: own.id });
  });
});
