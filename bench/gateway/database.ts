// A database of the bench's own on the local Postgres, named aik_bench_* so a leftover is easy to tell from a test suite's.
import { randomBytes } from "node:crypto";
import postgres from "postgres";

const ADMIN_URL = process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export async function createDatabase(): Promise<BenchDatabase> {
  const name = `aik_bench_gw_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  await asAdmin((admin) => admin`create database ${admin(name)}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  // WITH (FORCE) ends the connections a killed gateway may have left (Postgres 13+).
  return { name, url: url.toString(), drop: () => asAdmin((admin) => admin`drop database if exists ${admin(name)} with (force)`) };
}

async function asAdmin(work: (admin: postgres.Sql) => Promise<unknown>): Promise<void> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await work(admin);
  } catch (err) {
    throw new Error(`the gateway bench needs Postgres at ${ADMIN_URL} (or TEST_DATABASE_URL): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await admin.end({ timeout: 1 });
  }
}
