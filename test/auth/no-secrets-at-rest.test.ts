// Dumps every table after keys are made and users log in: no raw key, password or session token anywhere.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("secrets at rest", () => {
  it("the database holds only hashes", async () => {
    const secrets: string[] = [t.apiKey, t.member.password];
    for (let i = 0; i < 3; i++) {
      const u = await provisionUser(t.httpUrl, t.adminToken, i === 0 ? "admin" : "member");
      const session = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email: u.email, password: u.password });
      expect(session.status).toBe(200);
      secrets.push(u.apiKey, u.password, session.json.session_token);
    }
    const sql = postgres(t.databaseUrl, { onnotice: () => {} });
    try {
      const tables = await sql<Array<{ table_name: string }>>`
        select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      expect(tables.map((r) => r.table_name)).toEqual(expect.arrayContaining(["users", "api_keys", "sessions"]));
      let dump = "";
      for (const { table_name } of tables) {
        // Every column as text: bytea shows as hex, so a stored secret would show in any encoding we check.
        const rows = await sql.unsafe(`select t::text as row from "${table_name.replaceAll('"', '""')}" t`);
        dump += rows.map((r) => String(r.row)).join("\n");
      }
      expect(dump.length).toBeGreaterThan(0);
      for (const s of secrets) {
        expect(dump).not.toContain(s);
        expect(dump).not.toContain(Buffer.from(s).toString("hex"));
        expect(dump).not.toContain(Buffer.from(s).toString("base64"));
      }
    } finally {
      await sql.end();
    }
  });
});
