// Opens the one database the app uses: a real Postgres from DATABASE_URL, or embedded PGlite, behind the same `postgres` client.
import postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.js";

export interface DatabaseOptions {
  /** A Postgres URL (DATABASE_URL). When absent: embedded PGlite, data under `dataDir`. */
  readonly url: string | undefined;
  /** e.g. "./.aik/pgdata"; created if missing. */
  readonly dataDir: string;
  /** Pool size for a real Postgres; embedded uses at most EMBEDDED_POOL_MAX. */
  readonly maxConnections: number;
}

export interface Database {
  /** The same `postgres` client API in both modes. */
  readonly sql: postgres.Sql;
  readonly embedded: boolean;
  /** A connection string another `postgres` client (or LISTEN connection) can use to reach the same database. */
  readonly url: string;
  /** Ends the client, then stops PGlite and its socket server if embedded. Safe to call twice. */
  close(): Promise<void>;
}

// PGlite runs one statement at a time, so more connections add no throughput; a few let a
// connection reserved for long (a session advisory lock holder) leave the others free.
const EMBEDDED_POOL_MAX = 4;
const IDLE_TIMEOUT_S = 30;
const CONNECT_TIMEOUT_S = 10;
const END_TIMEOUT_S = 5;

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  checkOptions(opts);
  if (opts.url !== undefined) return openReal(opts.url, opts.maxConnections);
  const server = await startEmbeddedPostgres(opts.dataDir);
  try {
    return await connect(server.url, Math.min(opts.maxConnections, EMBEDDED_POOL_MAX), server);
  } catch (e) {
    await server.stop();
    throw e;
  }
}

function openReal(url: string, max: number): Promise<Database> {
  return connect(url, max, undefined).catch((e: unknown) => {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot reach Postgres at ${redacted(url)}: ${reason}. Check DATABASE_URL and that the server is up.`, { cause: e });
  });
}

async function connect(url: string, max: number, embedded: EmbeddedPostgres | undefined): Promise<Database> {
  const common = { max, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {} };
  // Embedded connections are kept: each new one prepares its statements again in the one shared
  // PGlite session, which never frees the old ones. A real server's idle connections are given back.
  const sql = postgres(url, embedded === undefined ? { ...common, idle_timeout: IDLE_TIMEOUT_S } : { ...common, max_lifetime: null });
  try {
    // Fail at start-up, not on the first request.
    await sql`select 1`;
  } catch (e) {
    await sql.end({ timeout: 0 });
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    sql,
    embedded: embedded !== undefined,
    url,
    close() {
      closing ??= (async () => {
        await sql.end({ timeout: END_TIMEOUT_S });
        await embedded?.stop();
      })();
      return closing;
    },
  };
}

function checkOptions(opts: DatabaseOptions): void {
  if (opts.url !== undefined && !/^postgres(ql)?:\/\//.test(opts.url)) {
    throw new Error("DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgres://user:password@db.example:5432/aik; leave it unset for the embedded database.");
  }
  if (opts.url === undefined && opts.dataDir.trim() === "") {
    throw new Error("The embedded database needs a data directory, e.g. ./.aik/pgdata.");
  }
  if (!Number.isSafeInteger(opts.maxConnections) || opts.maxConnections < 1) {
    throw new Error(`The database pool size must be a whole number of at least 1, not ${opts.maxConnections}.`);
  }
}

function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "DATABASE_URL";
  }
}
