// A real PgBouncer (Debian's binary) of the suite's own, in transaction pooling mode, in front of the test Postgres.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { freePort } from "./ports.js";

const run = promisify(execFile);

export interface PgBouncer {
  /** The same database as `directUrl`, reached through PgBouncer. */
  pooledUrl(directUrl: string): string;
  /** One statement on PgBouncer's admin console (database `pgbouncer`), e.g. "show pools". */
  admin(command: string): Promise<postgres.Row[]>;
  /** Everything PgBouncer wrote to stderr (its log). */
  log(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user: small, so the gateway's clients really share them. */
  readonly poolSize: number;
}

/**
 * Starts `pgbouncer` on a free loopback port with `pool_mode = transaction` and `auth_type = trust`
 * in front of the Postgres that `serverUrl` names (its host, port and user; any database name is
 * passed through). Fails loudly, never skips, when the binary is missing.
 */
export async function startPgBouncer(serverUrl: string, opts: PgBouncerOptions): Promise<PgBouncer> {
  const binary = await run("sh", ["-c", "command -v pgbouncer"]).then(
    (r) => r.stdout.trim(),
    () => "",
  );
  if (binary === "") throw new Error("the PgBouncer tests need Debian's pgbouncer binary on the PATH: apt-get install pgbouncer (scripts/system-packages.sh installs it)");
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username) || "postgres";
  const dir = await mkdtemp(join(tmpdir(), "aik-pgbouncer-"));
  const port = await freePort();
  await writeFile(join(dir, "userlist.txt"), `"${user}" ""\n`);
  await writeFile(
    join(dir, "pgbouncer.ini"),
    `[databases]
* = host=${server.hostname} port=${server.port || "5432"}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, "userlist.txt")}
admin_users = ${user}
pool_mode = transaction
default_pool_size = ${opts.poolSize}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
; extra_float_digits is what JDBC-style clients send; the postgres client sends only names PgBouncer knows.
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
`,
  );
  // PgBouncer refuses to run as root; as root it drops to the postgres user once it has read its files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    await chown(dir, uid, gid);
    await chmod(dir, 0o755);
  }
  const child = spawn(binary, [...(asRoot ? ["-u", "postgres"] : []), join(dir, "pgbouncer.ini")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    await listening(child, port, () => stderr);
  } catch (e) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const adminUrl = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`;
  return {
    pooledUrl(directUrl) {
      const u = new URL(directUrl);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    async admin(command) {
      // The console speaks only the simple protocol and has no pg_type to read.
      const adminSql = postgres(adminUrl, { max: 1, fetch_types: false, prepare: false, onnotice: () => {} });
      try {
        return [...(await adminSql.unsafe(command))];
      } finally {
        await adminSql.end({ timeout: 1 });
      }
    },
    log: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((done) => child.once("exit", () => done()));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function listening(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode} at start:\n${stderr()}`);
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        done(true);
      });
      socket.on("error", () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on 127.0.0.1:${port} within 15 s:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
