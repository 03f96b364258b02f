// Reads where Redis is (REDIS_MODE): one server, a Cluster's seed nodes, or a Sentinel group; errors never echo a URL (it may hold a password).
import type { RedisAddress, RedisAuth, RedisServers } from "../redis/connection.js";
import { ConfigError, envOneOf, type Reader } from "./reader.js";

const MODES = ["standalone", "cluster", "sentinel"] as const;

export interface RedisSettings {
  /** undefined: no Redis (in-process limits and lockout, single instance only). */
  readonly servers: RedisServers | undefined;
  readonly keyPrefix: string;
}

/** The file's `redis` mapping (`mode`, `url`, `sentinels`, `sentinel_name`, `key_prefix`) with the environment over it. */
export function readRedis(redis: Reader, env: NodeJS.ProcessEnv): RedisSettings {
  // File values are read even when the environment overrides them: each one is then a known setting.
  const mode = envOneOf(env, "REDIS_MODE", MODES, redis.oneOf("mode", MODES, "standalone"));
  const fileUrl = redis.string("url");
  const url = env.REDIS_URL || fileUrl;
  const fileSentinels = redis.strings("sentinels");
  const sentinels = env.REDIS_SENTINELS ? env.REDIS_SENTINELS.split(",").map((s) => s.trim()) : fileSentinels;
  const fileName = redis.string("sentinel_name");
  const name = env.REDIS_SENTINEL_NAME || fileName;
  const fileKeyPrefix = redis.string("key_prefix");
  const keyPrefix = env.AIK_REDIS_PREFIX || fileKeyPrefix || "aik:";

  if (mode !== "sentinel" && (sentinels.length > 0 || name !== undefined)) {
    throw new ConfigError(`REDIS_SENTINELS and REDIS_SENTINEL_NAME (redis.sentinels, redis.sentinel_name) only apply with REDIS_MODE=sentinel; redis.mode is ${mode}.`);
  }
  if (mode === "standalone") {
    if (url?.includes(",")) throw new ConfigError("REDIS_URL (redis.url) lists several servers: for a Redis Cluster set REDIS_MODE=cluster (redis.mode: cluster).");
    return { servers: url === undefined ? undefined : { mode, url }, keyPrefix };
  }
  if (mode === "cluster") {
    if (url === undefined) throw new ConfigError("REDIS_MODE=cluster needs REDIS_URL (redis.url): seed nodes, comma-separated, such as redis://10.0.0.1:6379,redis://10.0.0.2:6379.");
    // A brace in the prefix would become every key's hash tag: one slot, one node, for everything.
    if (/[{}]/.test(keyPrefix)) throw new ConfigError("AIK_REDIS_PREFIX (redis.key_prefix) must not contain { or } in cluster mode: AI-K places its own hash tags.");
    const entries = url.split(",").map((entry, i) => parseEntry(entry, 6379, `REDIS_URL (redis.url) entry ${i + 1}`));
    const first = entries[0];
    if (first === undefined) throw new ConfigError("REDIS_URL (redis.url) names no node.");
    if (entries.some((e) => !sameAuth(e.auth, first.auth))) {
      throw new ConfigError("REDIS_URL (redis.url): every seed node must carry the same user, password and scheme (all redis:// or all rediss://).");
    }
    if (first.auth.db !== 0) throw new ConfigError("REDIS_URL (redis.url) names a database: a Redis Cluster has only database 0; drop the /<db> path.");
    return { servers: { mode, nodes: entries.map((e) => e.address), auth: first.auth }, keyPrefix };
  }
  if (sentinels.length === 0) throw new ConfigError("REDIS_MODE=sentinel needs REDIS_SENTINELS (redis.sentinels): the sentinels as host:port, comma-separated.");
  if (name === undefined) throw new ConfigError("REDIS_MODE=sentinel needs REDIS_SENTINEL_NAME (redis.sentinel_name): the master group name the sentinels monitor.");
  const addresses = sentinels.map((s, i) => parseEntry(s, 26379, `REDIS_SENTINELS (redis.sentinels) entry ${i + 1}`).address);
  let auth: RedisAuth = { username: undefined, password: undefined, tls: false, db: 0 };
  if (url !== undefined) {
    const parsed = parseEntry(url, 6379, "REDIS_URL (redis.url)");
    // The sentinels say where the master is; a URL naming a host would read as if it were used.
    if (parsed.address.host !== name || url.includes(",")) {
      throw new ConfigError("In sentinel mode REDIS_URL (redis.url) only carries the master's credentials and database: write it as redis://:<password>@<sentinel name>/<db>.");
    }
    auth = parsed.auth;
  }
  return { servers: { mode, sentinels: addresses, name, auth }, keyPrefix };
}

/** `host:port` or `redis[s]://[user:password@]host[:port][/db]`. */
function parseEntry(entry: string, defaultPort: number, at: string): { address: RedisAddress; auth: RedisAuth } {
  const text = entry.trim();
  let url: URL | undefined;
  try {
    url = new URL(text.includes("://") ? text : `redis://${text}`);
  } catch {
    url = undefined;
  }
  const port = url?.port ? Number(url.port) : defaultPort;
  const db = url === undefined || url.pathname === "" || url.pathname === "/" ? 0 : Number(url.pathname.slice(1));
  if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "" || !Number.isInteger(db) || db < 0 || url.search !== "" || url.hash !== "") {
    throw new ConfigError(`${at} must be host:port or redis://[user:password@]host:port (rediss:// for TLS).`);
  }
  return {
    address: { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port },
    auth: {
      username: url.username === "" ? undefined : decodeURIComponent(url.username),
      password: url.password === "" ? undefined : decodeURIComponent(url.password),
      tls: url.protocol === "rediss:",
      db,
    },
  };
}

function sameAuth(a: RedisAuth, b: RedisAuth): boolean {
  return a.username === b.username && a.password === b.password && a.tls === b.tls && a.db === b.db;
}
