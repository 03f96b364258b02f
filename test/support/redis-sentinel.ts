// A real Sentinel group of this test alone: a master, a replica and three redis-sentinel processes (quorum 2) on loopback.
import { Redis } from "ioredis";
import type { RedisServers } from "../../src/redis/connection.js";
import { PrivateRedis, requireBinaries } from "./private-redis.js";
import { until } from "./usage-db.js";

export const SENTINEL_NAME = "aik-test-master";

export class PrivateSentinelGroup {
  readonly name = SENTINEL_NAME;

  private constructor(
    /** The master at start, then the replica: which one is master now is the sentinels' to say. */
    readonly servers: readonly PrivateRedis[],
    readonly sentinels: readonly PrivateRedis[],
    private readonly asking: readonly Redis[],
  ) {}

  static async start(): Promise<PrivateSentinelGroup> {
    requireBinaries(["redis-server", "redis-sentinel"]);
    const servers: PrivateRedis[] = [];
    const sentinels: PrivateRedis[] = [];
    const asking: Redis[] = [];
    try {
      const master = await PrivateRedis.start();
      servers.push(master);
      const replica = await PrivateRedis.start(["--replicaof", "127.0.0.1", String(master.port)]);
      servers.push(replica);
      const probe = new Redis(replica.url, { maxRetriesPerRequest: 0 });
      try {
        await until("the replica is in sync", async () => (await probe.info("replication")).includes("master_link_status:up"), 20_000);
      } finally {
        probe.disconnect();
      }
      // Down after 1 s of silence; a failover that stalls is abandoned after 5 s (and may be retried after 10).
      const config = [
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        "",
      ].join("\n");
      for (let i = 0; i < 3; i++) {
        sentinels.push(await PrivateRedis.start([], { binary: "redis-sentinel", config, readyText: "+monitor master" }));
      }
      for (const s of sentinels) asking.push(new Redis(s.url, { maxRetriesPerRequest: 0 }));
      await until("every sentinel knows the replica and the two other sentinels", async () => {
        const views = await Promise.all(asking.map((a) => a.call("SENTINEL", "MASTER", SENTINEL_NAME)));
        return views.every((v) => {
          const f = fields(v);
          return f["num-slaves"] === "1" && f["num-other-sentinels"] === "2" && f.flags === "master";
        });
      }, 30_000);
    } catch (err) {
      for (const a of asking) a.disconnect();
      await Promise.all([...servers, ...sentinels].map((s) => s.dispose()));
      throw err;
    }
    return new PrivateSentinelGroup(servers, sentinels, asking);
  }

  /** REDIS_SENTINELS: the sentinels as host:port, comma-separated. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",");
  }

  get config(): RedisServers {
    return {
      mode: "sentinel",
      sentinels: this.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      name: SENTINEL_NAME,
      auth: { username: undefined, password: undefined, tls: false, db: 0 },
    };
  }

  /** The master's port as every sentinel reports it (they must agree). */
  async masterPort(): Promise<number> {
    const ports = await Promise.all(
      this.asking.map(async (a) => {
        const addr: unknown = await a.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_NAME);
        return Array.isArray(addr) ? Number(addr[1]) : 0;
      }),
    );
    if (new Set(ports).size !== 1) throw new Error(`the sentinels disagree on the master: ${ports.join(", ")}`);
    return ports[0] ?? 0;
  }

  server(port: number): PrivateRedis {
    const s = this.servers.find((x) => x.port === port);
    if (!s) throw new Error(`no server on port ${port}`);
    return s;
  }

  /** SENTINEL FAILOVER: the replica is promoted, the master demoted; resolves with the new master's port once it serves as master. */
  async failover(): Promise<number> {
    const old = await this.masterPort();
    await this.asking[0]?.call("SENTINEL", "FAILOVER", SENTINEL_NAME);
    return this.newMaster(old);
  }

  /** SIGKILL for the master: the sentinels must notice (quorum 2), elect a leader and promote the replica. */
  async killMaster(): Promise<number> {
    const old = await this.masterPort();
    await this.server(old).stop();
    return this.newMaster(old);
  }

  private async newMaster(old: number): Promise<number> {
    let port = old;
    await until("the sentinels agree on a new master that serves as master", async () => {
      port = await this.masterPort().catch(() => old);
      if (port === old) return false;
      const probe = new Redis(this.server(port).url, { maxRetriesPerRequest: 0, lazyConnect: true });
      try {
        await probe.connect();
        return (await probe.info("replication")).includes("role:master");
      } finally {
        probe.disconnect();
      }
    }, 30_000);
    return port;
  }

  async dispose(): Promise<void> {
    for (const a of this.asking) a.disconnect();
    await Promise.all([...this.sentinels, ...this.servers].map((s) => s.dispose()));
  }
}

/** A flat [name, value, name, value, ...] reply as a record. */
function fields(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
