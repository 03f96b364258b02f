// Embedded Postgres: PGlite on a data directory, served on loopback so the ordinary `postgres` client reaches it.
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { lockDataDir } from "./data-dir-lock.js";
import { SerialPGlite } from "./serial-pglite.js";

/*
 * What PGlite (0.5.14, Postgres 18 in WebAssembly) and pglite-socket (0.2.17) do, as measured:
 *
 * - One backend for everything. pglite-socket accepts many connections but feeds their messages
 *   to that single backend one at a time, so all connections share one session: SET, temp
 *   tables, prepared statements, LISTEN registrations and advisory locks are common to all of
 *   them, and pg_backend_pid() is the same everywhere. A BEGIN block holds the other connections
 *   off until it ends; SerialPGlite does the same for a Parse..Sync exchange, without which two
 *   busy connections corrupt each other's queries.
 * - Transactions, ON CONFLICT, multi-row inserts, prepared statements: work as in Postgres.
 * - Advisory locks: every lock call succeeds at once, because all connections are one session
 *   and advisory locks are re-entrant within a session. They exclude nobody, which is harmless
 *   only because the data-dir lock below keeps the database to one process.
 * - LISTEN/NOTIFY: does NOT work across connections. A notification goes back on the connection
 *   that ran NOTIFY (the session notifying itself), never to the one that ran LISTEN, so
 *   `sql.listen` never fires. Embedded mode has to fall back to polling.
 * - PGlite does not lock its data directory: a second process opens it too, and two backends
 *   writing one directory unaware of each other will corrupt it, hence `<dataDir>.lock`.
 * - Start-up: about 6 s the first time (initdb into an empty directory), 1-2 s after that;
 *   close() takes milliseconds, and a killed process loses no committed row.
 *
 * Served on 127.0.0.1 at a port the OS picks, not on a unix socket: the `postgres` client only
 * takes a socket path as an option, never inside a URL, and `Database.url` must be a URL that any
 * other client can use. The port is chosen fresh so it never meets a real Postgres on 5432 or
 * another instance. PGlite checks no password, so any local user can connect while it runs:
 * on a shared host, use a real Postgres via DATABASE_URL.
 */

// The app's pool, the connection `sql.listen` opens for itself, and a few tools or tests via `url`.
const MAX_SOCKET_CONNECTIONS = 16;
const DRAIN_WAIT_MS = 1_000;

export interface EmbeddedPostgres {
  readonly url: string;
  /** Stops the socket server, shuts PGlite down cleanly and frees the data directory. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir);
  await mkdir(dirname(dir), { recursive: true });
  const lock = await lockDataDir(dir);
  let db: SerialPGlite | undefined;
  try {
    await mkdir(dir, { recursive: true });
    db = new SerialPGlite({ dataDir: dir });
    await db.waitReady;
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: MAX_SOCKET_CONNECTIONS });
    await server.start();
    const url = `postgres://postgres@127.0.0.1:${portOf(server.getServerConn())}/postgres`;
    const pglite = db;
    return {
      url,
      async stop() {
        await drained(server);
        await server.stop();
        await pglite.close();
        await lock.release();
      },
    };
  } catch (e) {
    if (db !== undefined && !db.closed) await db.close().catch(() => undefined);
    await lock.release();
    throw e;
  }
}

function portOf(conn: string): number {
  const match = /^127\.0\.0\.1:(\d+)$/.exec(conn);
  const port = Number(match?.[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`pglite-socket reported an unexpected address '${conn}'.`);
  return port;
}

// Clients that just ended close their sockets a tick later; stopping first would cut a ROLLBACK
// that pglite-socket sends for a client that left mid-transaction.
async function drained(server: PGLiteSocketServer): Promise<void> {
  const deadline = Date.now() + DRAIN_WAIT_MS;
  while (server.getStats().activeConnections > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
