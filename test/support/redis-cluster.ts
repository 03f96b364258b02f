// A real Redis Cluster of this test alone: three redis-server masters on loopback, joined by `redis-cli --cluster create`.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import type { RedisServers } from "../../src/redis/connection.js";
import { freePort } from "./ports.js";
import { PrivateRedis, requireBinaries } from "./private-redis.js";
import { until } from "./usage-db.js";

const run = promisify(execFile);

export class PrivateRedisCluster {
  private constructor(
    readonly nodes: readonly PrivateRedis[],
    /** One plain connection per node: it answers for that node alone, no redirection. */
    readonly direct: readonly Redis[],
  ) {}

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    requireBinaries(["redis-server", "redis-cli"]);
    const nodes: PrivateRedis[] = [];
    const direct: Redis[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        // The bus port is named: the default (port + 10000) may be taken, or past 65535.
        const bus = await freePort();
        nodes.push(await PrivateRedis.start(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000", "--cluster-port", String(bus)]));
      }
      await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
      for (const n of nodes) direct.push(new Redis(n.url, { maxRetriesPerRequest: 0 }));
      await until("every node sees the cluster ok with all masters", async () => {
        const infos = await Promise.all(direct.map((c) => c.call("CLUSTER", "INFO")));
        return infos.every((i) => String(i).includes("cluster_state:ok") && String(i).includes(`cluster_known_nodes:${masters}`));
      }, 30_000);
    } catch (err) {
      for (const c of direct) c.disconnect();
      await Promise.all(nodes.map((n) => n.dispose()));
      throw err;
    }
    return new PrivateRedisCluster(nodes, direct);
  }

  /** REDIS_URL for REDIS_MODE=cluster: every node, comma-separated (any one would do as a seed). */
  get url(): string {
    return this.nodes.map((n) => n.url).join(",");
  }

  get servers(): RedisServers {
    return {
      mode: "cluster",
      nodes: this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
      auth: { username: undefined, password: undefined, tls: false, db: 0 },
    };
  }

  /** The index in `nodes` of the master serving `key`'s slot, as the cluster itself says. */
  async nodeOf(key: string): Promise<number> {
    const first = this.direct[0];
    if (!first) throw new Error("no cluster node");
    const slot = Number(await first.call("CLUSTER", "KEYSLOT", key));
    const ranges: unknown = await first.call("CLUSTER", "SLOTS");
    if (!Array.isArray(ranges)) throw new Error("CLUSTER SLOTS answered oddly");
    for (const r of ranges) {
      if (!Array.isArray(r)) continue;
      const [from, to, master] = r;
      if (Number(from) <= slot && slot <= Number(to) && Array.isArray(master)) {
        const index = this.nodes.findIndex((n) => n.port === Number(master[1]));
        if (index >= 0) return index;
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** The keys matching `pattern` each node holds itself. */
  async keysPerNode(pattern: string): Promise<string[][]> {
    return Promise.all(
      this.direct.map(async (c) => {
        const keys: string[] = [];
        let cursor = "0";
        do {
          const [next, batch] = await c.scan(cursor, "MATCH", pattern, "COUNT", 1000);
          keys.push(...batch);
          cursor = next;
        } while (cursor !== "0");
        return keys;
      }),
    );
  }

  async dbsizes(): Promise<number[]> {
    return Promise.all(this.direct.map((c) => c.dbsize()));
  }

  async dispose(): Promise<void> {
    for (const c of this.direct) c.disconnect();
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}
