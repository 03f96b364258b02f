// GetStoredUsageRecord over HTTP and gRPC: the caller's newest usage row exactly as Postgres holds it, and the one never-stored list the README agrees with.
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GetStoredUsageRecordResponse } from "../../gen/aik/v1/admin.js";
import { USAGE_COLUMNS } from "../../src/metering/record.js";
import { NEVER_STORED } from "../../src/store/never-stored.js";
import { adminClient, bearer, call as grpcCall, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { asPage, call, consoleLogin, until, type Answer, type BrowserSession } from "./browser.js";

let t: TestGateway;
let sql: postgres.Sql;
beforeAll(async () => {
  t = await startTestGateway();
  sql = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

const ROUTE = "/v1/admin/usage/stored-example";

async function chat(u: Provisioned, stream = false): Promise<string> {
  const a = await call(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.apiKey}` },
    body: { model: "gpt-4o", stream, messages: [{ role: "user", content: "a prompt that must never be stored" }] },
  });
  expect(a.status).toBe(200);
  return String(a.headers["x-request-id"]);
}

/** The row as Postgres itself prints each column (its type's output function, as psql shows it), read independently of the method under test. */
async function rowAsText(requestId: string): Promise<Array<{ name: string; value: string | null }>> {
  const out: Array<{ name: string; value: string | null }> = [];
  for (const name of USAGE_COLUMNS) {
    const [row] = await sql.unsafe<Array<{ v: string | null }>>(`select case when ${name} is null then null else format('%s', ${name}) end as v from usage_records where request_id = $1`, [requestId]);
    out.push({ name, value: row?.v ?? null });
  }
  return out;
}

async function newestOf(s: BrowserSession, requestId: string): Promise<Answer> {
  return until(`the record of ${requestId}`, async () => {
    const a = await asPage(s, `${t.httpUrl}${ROUTE}`);
    return a.status === 200 && a.json.columns[0].value === requestId ? a : undefined;
  });
}

describe("GetStoredUsageRecord", () => {
  let u: Provisioned;
  let s: BrowserSession;
  beforeAll(async () => {
    u = await provisionUser(t.httpUrl, t.adminToken, "member");
    s = await consoleLogin(t.httpUrl, u.email, u.password);
  });

  it("is 404 in the error shape before the caller has any record (others' records do not count)", async () => {
    await chat(t.member);
    const a = await asPage(s, `${t.httpUrl}${ROUTE}`);
    expect(a.status).toBe(404);
    expect(a.json.error).toMatchObject({ code: "not_found", type: "invalid_request_error" });
    expect(a.json.error.message).toMatch(/No usage record yet/);
  });

  it("answers the newest row: every column in table order, each as the database's text, NULL as an absent value", async () => {
    await chat(u, true);
    const newest = await chat(u);
    const a = await newestOf(s, newest);
    expect(a.json.table).toBe("usage_records");
    expect(a.json.columns.map((c: { name: string }) => c.name)).toEqual([...USAGE_COLUMNS]);
    const expected = (await rowAsText(newest)).map((c) => (c.value === null ? { name: c.name } : c));
    expect(a.json.columns).toEqual(expected);
    expect(a.json.columns).toContainEqual({ name: "user_id", value: u.userId });
    expect(a.json.columns).toContainEqual({ name: "key_id", value: u.keyId });
    expect(a.json.columns).toContainEqual({ name: "streamed", value: "f" });
    // A unary answer has no time to first token: NULL in the table, no value here.
    expect(a.json.columns).toContainEqual({ name: "ttft_ms" });
    // No content anywhere in the answer.
    expect(a.text).not.toContain("must never be stored");
  });

  it("lists what is never stored, from the one source", async () => {
    const a = await asPage(s, `${t.httpUrl}${ROUTE}`);
    expect(a.json.never_stored).toEqual(NEVER_STORED.map((n) => ({ what: n.what, detail: n.detail })));
  });

  it("the operator has no record of its own: 404; no credential: 401", async () => {
    const op = await call(`${t.httpUrl}${ROUTE}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(op.status).toBe(404);
    expect((await call(`${t.httpUrl}${ROUTE}`)).status).toBe(401);
  });

  it("an admin sees their own record, not anyone else's", async () => {
    const admin = await provisionUser(t.httpUrl, t.adminToken, "admin");
    const session = await consoleLogin(t.httpUrl, admin.email, admin.password);
    expect((await asPage(session, `${t.httpUrl}${ROUTE}`)).status).toBe(404);
    const mine = await chat(admin);
    const a = await newestOf(session, mine);
    expect(a.json.columns).toContainEqual({ name: "user_id", value: admin.userId });
  });

  it("over gRPC: the same row, NOT_FOUND without one", async () => {
    const client = adminClient(t.grpcAddress);
    const token = s.cookie.slice("aik_session=".length);
    try {
      const got = await grpcCall<object, GetStoredUsageRecordResponse>(client, client.getStoredUsageRecord, {}, bearer(token));
      const http = await asPage(s, `${t.httpUrl}${ROUTE}`);
      expect(got.table).toBe("usage_records");
      expect(got.columns.map((c) => (c.value === undefined ? { name: c.name } : { name: c.name, value: c.value }))).toEqual(http.json.columns);
      expect(got.neverStored).toEqual(http.json.never_stored);
      const fresh = await provisionUser(t.httpUrl, t.adminToken, "member");
      const login = await call(`${t.httpUrl}/v1/auth/login`, { method: "POST", body: { email: fresh.email, password: fresh.password } });
      const err = await grpcCall(client, client.getStoredUsageRecord, {}, bearer(login.json.session_token)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isServiceError(err) && err.code).toBe(5);
    } finally {
      client.close();
    }
  });
});

describe("the README's never-stored table", () => {
  it("agrees with the list the API answers from", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = /<!-- never-stored:start -->([\s\S]*?)<!-- never-stored:end -->/.exec(readme)?.[1] ?? "";
    const rows = [...section.matchAll(/^\| ([^|]+?) \| ([^|]+?) \|$/gm)].map((m) => ({ what: m[1] ?? "", detail: m[2] ?? "" }));
    expect(rows[0]).toEqual({ what: "never stored", detail: "what that covers" });
    expect(rows.slice(1)).toEqual(NEVER_STORED.map((n) => ({ what: n.what, detail: n.detail })));
  });
});
