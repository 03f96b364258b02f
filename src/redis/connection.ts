// The process's one Redis client (a server, a Cluster or a Sentinel group's master), built so an outage never hangs a request or queues without bound.
import { Cluster, Redis, type RedisOptions as ClientOptions } from "ioredis";

/** Every Redis user takes either client: a Cluster routes each command (and script) by its keys' slot. */
export type RedisClient = Redis | Cluster;

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Credentials, TLS and database for the data nodes (cluster and sentinel modes read them from REDIS_URL). */
export interface RedisAuth {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
  readonly db: number;
}

/** Where Redis is (REDIS_MODE): one server, a Cluster found through seed nodes, or the master a Sentinel group names. */
export type RedisServers =
  | { readonly mode: "standalone"; readonly url: string }
  | { readonly mode: "cluster"; readonly nodes: readonly RedisAddress[]; readonly auth: RedisAuth }
  | { readonly mode: "sentinel"; readonly sentinels: readonly RedisAddress[]; readonly name: string; readonly auth: RedisAuth };

export interface RedisOptions {
  readonly servers: RedisServers;
  /** A command that takes longer fails instead of waiting. */
  readonly commandTimeoutMs: number;
}

// Keep trying to reconnect forever, backing off to 1 s: recovery needs no restart.
const backoff = (times: number): number => Math.min(50 * times, 1000);

export function connectRedis(options: RedisOptions): RedisClient {
  const s = options.servers;
  const common = {
    // Commands sent while disconnected fail at once instead of piling up in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    lazyConnect: false,
  } as const;
  if (s.mode === "standalone") return new Redis(s.url, { ...common, retryStrategy: backoff });
  const auth = { username: s.auth.username, password: s.auth.password, ...(s.auth.tls && { tls: {} }) };
  if (s.mode === "cluster") {
    return new Cluster(
      s.nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff,
        // A slot that moved (resharding, a replica promoted) is followed, a few times, not forever.
        maxRedirections: 4,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        redisOptions: { ...auth, maxRetriesPerRequest: 0, commandTimeout: common.commandTimeout, connectTimeout: common.connectTimeout },
      },
    );
  }
  return new SentinelClient({
    ...common,
    ...auth,
    db: s.auth.db,
    sentinels: s.sentinels.map((n) => ({ host: n.host, port: n.port })),
    name: s.name,
    role: "master",
    retryStrategy: backoff,
    // After SENTINEL FAILOVER the old master keeps answering as master for seconds (until the
    // sentinels convert it): without this, writes would go on landing there and be lost. On the
    // sentinels' +switch-master the client reconnects, asking them where the master is now.
    failoverDetector: true,
    // A demoted master still connected answers writes with READONLY: reconnect, asking the sentinels anew.
    reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 2 : false),
  });
}

/**
 * A Sentinel client only disconnect() can end. ioredis ends a client whose reconnect is cut short
 * (its failover detector disconnecting while a reconnect asks the sentinels, after the master died),
 * and an ended client never reconnects: this one connects again, so recovery needs no restart.
 */
class SentinelClient extends Redis {
  private closing = false;

  constructor(options: ClientOptions) {
    super(options);
    this.on("end", () => {
      if (this.closing) return;
      const again = setTimeout(() => {
        if (!this.closing && this.status === "end") this.connect().catch(() => undefined);
      }, 1000);
      again.unref();
    });
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.closing = true;
    super.disconnect(reconnect);
  }
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function redisReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error("Redis did not become ready in time"));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}
