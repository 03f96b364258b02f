// A fresh database per suite on the real Postgres: suites run in parallel processes and must not see each other's tables.
import { randomBytes } from "node:crypto";
import postgres from "postgres";

/** The real Postgres the tests use, as its superuser. */
export const ADMIN_URL = process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Creates a fresh, uniquely named database on the real Postgres (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres as the admin connection) and returns its URL and a drop() that terminates its connections and drops it. Throws loudly (never skips) when Postgres is unreachable. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `aik_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await asAdmin(async (admin) => {
    await admin`create database ${admin(name)}`;
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      asAdmin(async (admin) => {
        // WITH (FORCE) terminates the suite's leftover connections (Postgres 13+).
        await admin`drop database if exists ${admin(name)} with (force)`;
      }),
  };
}

async function asAdmin(work: (admin: postgres.Sql) => Promise<void>): Promise<void> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await work(admin);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`The store tests need a real Postgres at ${ADMIN_URL} (or TEST_DATABASE_URL): ${reason}`, { cause: e });
  } finally {
    await admin.end({ timeout: 1 });
  }
}
