// Everything a gateway stored, read back whole for a search: every table of a database, every Redis key under a prefix, every file under a directory.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";

export interface TableDump {
  /** schema.table */
  readonly table: string;
  readonly rows: readonly string[];
}

/** Every row of every base table in every schema but Postgres's own catalogs, each row as its text form. */
export async function dumpDatabase(url: string): Promise<TableDump[]> {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const tables = await sql<Array<{ schema: string; name: string }>>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by 1, 2`;
    const dumps: TableDump[] = [];
    for (const { schema, name } of tables) {
      const rows = await sql<Array<{ row: string }>>`select x::text as row from ${sql(schema)}.${sql(name)} x`;
      dumps.push({ table: `${schema}.${name}`, rows: rows.map((r) => r.row) });
    }
    return dumps;
  } finally {
    await sql.end();
  }
}

export interface RedisEntry {
  readonly key: string;
  readonly type: string;
  /** The value's members as raw bytes, so nothing is lost to a text decoding. */
  readonly value: Buffer;
}

/** Every key under the prefix with its whole value, whatever its type. */
export async function dumpRedis(url: string, prefix: string): Promise<RedisEntry[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    const entries: RedisEntry[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      const parts: Buffer[] = [];
      if (type === "string") parts.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
      else if (type === "hash") parts.push(...(await redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([f, v]) => [Buffer.from(f), v]))));
      else if (type === "zset") parts.push(...(await redis.zrangeBuffer(key, 0, -1, "WITHSCORES")));
      else if (type === "set") parts.push(...(await redis.smembersBuffer(key)));
      else if (type === "list") parts.push(...(await redis.lrangeBuffer(key, 0, -1)));
      else if (type === "stream") parts.push(Buffer.from(JSON.stringify(await redis.xrange(key, "-", "+"))));
      else if (type !== "none") throw new Error(`Redis key ${key} has type ${type}, which this dump cannot read: teach it`);
      entries.push({ key, type, value: Buffer.concat(parts.flatMap((p) => [p, Buffer.from("\n")])) });
    }
    return entries;
  } finally {
    redis.disconnect();
  }
}

export interface FileDump {
  /** Relative to the directory searched. */
  readonly path: string;
  readonly bytes: Buffer;
}

/** Every regular file under the directory (none when it does not exist), with its bytes. */
export function dumpFiles(dir: string): FileDump[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "ENOENT") return [];
    throw e;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const full = join(e.parentPath, e.name);
      return { path: relative(dir, full), bytes: readFileSync(full) };
    });
}
