// The database settings: DATABASE_URL and DATABASE_LISTEN_URL, or database.url and database.listen_url in the file.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

const FILE = `
database:
  url: postgres://app@pgbouncer.internal:6432/aik
  listen_url: postgres://app@db.internal:5432/aik
  max_connections: 20
`;

describe("database config", () => {
  it("reads url and listen_url from the file", () => {
    const c = loadConfig({ AIK_CONFIG: "/etc/aik.yaml" }, () => FILE);
    expect(c.database).toEqual({ url: "postgres://app@pgbouncer.internal:6432/aik", listenUrl: "postgres://app@db.internal:5432/aik", maxConnections: 20 });
  });

  it("reads DATABASE_URL and DATABASE_LISTEN_URL from the environment", () => {
    const env = { AIK_CONFIG: "/etc/aik.yaml", DATABASE_URL: "postgres://env@bouncer:6432/aik", DATABASE_LISTEN_URL: "postgres://env@primary:5432/aik" };
    expect(loadConfig(env, () => "database:\n  max_connections: 5\n").database).toEqual({ url: "postgres://env@bouncer:6432/aik", listenUrl: "postgres://env@primary:5432/aik", maxConnections: 5 });
  });

  it("leaves the listen URL unset by default: LISTEN then uses DATABASE_URL", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://app@db:5432/aik" }).database).toEqual({ url: "postgres://app@db:5432/aik", listenUrl: undefined, maxConnections: 10 });
  });

  it("refuses an unknown key under database, naming it", () => {
    expect(() => loadConfig({ AIK_CONFIG: "/etc/aik.yaml" }, () => "database:\n  listen: postgres://x\n")).toThrow(/database\.listen/);
  });
});
