// Opens the one database the app uses: a real Postgres from DATABASE_URL (maybe through PgBouncer), or embedded PGlite, behind the same `postgres` client.
import postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.js";

export interface DatabaseOptions {
  /** A Postgres URL (DATABASE_URL). When absent: embedded PGlite, data under `dataDir`. */
  readonly url: string | undefined;
  /**
   * DATABASE_LISTEN_URL: Postgres itself, for LISTEN, when `url` is a PgBouncer in transaction
   * mode. Absent: LISTEN on `url`.
   */
  readonly listenUrl?: string | undefined;
  /** e.g. "./.aik/pgdata"; created if missing. */
  readonly dataDir: string;
  /** Pool size for a real Postgres; embedded uses at most EMBEDDED_POOL_MAX. */
  readonly maxConnections: number;
}

export interface Database {
  /** The same `postgres` client API in both modes. */
  readonly sql: postgres.Sql;
  /**
   * The client to LISTEN on (`sql.listen` opens a dedicated connection): one on the listen URL when
   * one is set, else `sql` itself. Queries and NOTIFY go through `sql`.
   */
  readonly listener: postgres.Sql;
  /** True when a listen URL says `sql` goes through a transaction pooler: it then sends no named prepared statements. */
  readonly pooled: boolean;
  readonly embedded: boolean;
  /** A connection string another `postgres` client (or LISTEN connection) can use to reach the same database. */
  readonly url: string;
  /** Ends the client, then stops PGlite and its socket server if embedded. Safe to call twice. */
  close(): Promise<void>;
}

// PGlite runs one statement at a time, so more connections add no throughput; a few let a
// connection held for long (a transaction waiting on an advisory lock) leave the others free.
const EMBEDDED_POOL_MAX = 4;
const IDLE_TIMEOUT_S = 30;
const CONNECT_TIMEOUT_S = 10;
const END_TIMEOUT_S = 5;

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  checkOptions(opts);
  if (opts.url !== undefined) return openReal(opts.url, opts.listenUrl, opts.maxConnections);
  const server = await startEmbeddedPostgres(opts.dataDir);
  try {
    return await connect(server.url, Math.min(opts.maxConnections, EMBEDDED_POOL_MAX), server);
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/*
 * PgBouncer in transaction mode gives a client a server connection for one transaction only, so
 * nothing may outlive a transaction on `url`. The `postgres` client's one piece of session state
 * is its named prepared statements: prepared on one server connection, then bound on another,
 * they fail ("prepared statement does not exist", fatal inside a transaction; PgBouncer tracks
 * them only from 1.21, and only with max_prepared_statements set). Behind a pooler they are
 * turned off, which costs a second round trip per query with parameters (about 2x the time of a
 * small query on loopback), none of them on the request path (keys are cached, usage is written
 * in batches): so only when a listen URL says there is a pooler. The rest holds either way:
 * locks are transaction-scoped (migrations, partitions), and no SET, temporary table or cursor
 * is used.
 */
async function openReal(url: string, listenUrl: string | undefined, max: number): Promise<Database> {
  const db = await connect(url, max, undefined, listenUrl !== undefined).catch((e: unknown) => {
    throw unreachable(url, "DATABASE_URL", e);
  });
  if (listenUrl === undefined) return db;
  // LISTEN needs a session of its own on Postgres itself. A probe connection is opened and closed
  // now, so a wrong URL stops the start; `listener.listen` later opens the one connection that stays.
  const options = { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {} };
  const probe = postgres(listenUrl, options);
  try {
    await probe`select 1`;
  } catch (e) {
    await db.close();
    throw unreachable(listenUrl, "DATABASE_LISTEN_URL", e);
  } finally {
    await probe.end({ timeout: 0 });
  }
  const listener = postgres(listenUrl, options);
  let closing: Promise<void> | undefined;
  return {
    ...db,
    listener,
    close() {
      closing ??= Promise.all([listener.end({ timeout: END_TIMEOUT_S }), db.close()]).then(() => undefined);
      return closing;
    },
  };
}

function unreachable(url: string, name: string, e: unknown): Error {
  const reason = e instanceof Error ? e.message : String(e);
  return new Error(`Cannot reach Postgres at ${redacted(url, name)}: ${reason}. Check ${name} and that the server is up.`, { cause: e });
}

async function connect(url: string, max: number, embedded: EmbeddedPostgres | undefined, pooled = false): Promise<Database> {
  const common = { max, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {}, prepare: !pooled };
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
    listener: sql,
    pooled,
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
  if (opts.listenUrl !== undefined && !/^postgres(ql)?:\/\//.test(opts.listenUrl)) {
    throw new Error("DATABASE_LISTEN_URL must be a postgres:// or postgresql:// URL naming Postgres itself (not PgBouncer), e.g. postgres://user:password@db.example:5432/aik.");
  }
  if (opts.listenUrl !== undefined && opts.url === undefined) {
    throw new Error("DATABASE_LISTEN_URL is set but DATABASE_URL is not: the listen URL is the direct connection beside a pooled DATABASE_URL; set both, or neither for the embedded database.");
  }
  if (opts.url === undefined && opts.dataDir.trim() === "") {
    throw new Error("The embedded database needs a data directory, e.g. ./.aik/pgdata.");
  }
  if (!Number.isSafeInteger(opts.maxConnections) || opts.maxConnections < 1) {
    throw new Error(`The database pool size must be a whole number of at least 1, not ${opts.maxConnections}.`);
  }
}

function redacted(url: string, name: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return name;
  }
}
