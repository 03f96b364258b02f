// The gateway's private Redis: started for the run, and asked how many commands it has run and how many reads it served.
//
// Commands are counted as Redis counts them (INFO commandstats, as INFO stats total_commands_processed does): every
// command a Lua script runs counts too, so one limiter EVALSHA that touches five keys counts as several commands. The
// reads Redis served (INFO stats total_reads_processed) are shown beside them: about one per round trip the gateway
// makes, however many commands a pipeline carries.
import { Redis } from "ioredis";
import { spawnNode, type NodeChild } from "./processes.js";

export interface PrivateRedisServer {
  readonly child: NodeChild;
  readonly url: string;
}

export async function startPrivateRedis(): Promise<PrivateRedisServer> {
  const { child, line } = await spawnNode({
    name: "redis-server",
    script: "bench/gateway/redis-server.ts",
    ready: (l) => l.startsWith("redis listening on "),
    readyTimeoutMs: 30_000,
  }).catch((err: unknown) => {
    throw new Error(`the gateway bench starts its own redis-server (it must be on the PATH): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  return { child, url: line.slice("redis listening on ".length).trim() };
}

/** Commands served between two readings. */
export interface CommandCounts {
  /** Calls per command name as Redis counts them, scripts' inner commands included. */
  readonly executed: Readonly<Record<string, number>>;
  /** Socket reads Redis processed from its clients: about one per round trip. */
  readonly reads: number;
}

/** The same counters since the server started: two readings make a window's CommandCounts. */
export type Reading = CommandCounts;

/** The read that carries a reading's own INFO commands is counted in that reading: the later one's is not the gateway's. */
const OWN_READS = 1;

export class CommandCounter {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  }

  async read(): Promise<Reading> {
    if (this.client.status === "wait") await this.client.connect();
    // One pipeline, so one read: both sections describe the same instant.
    const replies = await this.client.pipeline().info("stats").info("commandstats").exec();
    const [stats, commands] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const reads = typeof stats === "string" ? /^total_reads_processed:(\d+)/m.exec(stats)?.[1] : undefined;
    if (reads === undefined || typeof commands !== "string") throw new Error("unexpected INFO reply from the bench's redis-server");
    const executed: Record<string, number> = {};
    for (const m of commands.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const [, name, calls] = m;
      // This counter's own INFO calls are not the gateway's.
      if (name !== undefined && name !== "info") executed[name] = Number(calls);
    }
    return { executed, reads: Number(reads) };
  }

  close(): void {
    this.client.disconnect();
  }
}

export function countsBetween(before: Reading, after: Reading): CommandCounts {
  const executed: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.executed)) {
    const d = n - (before.executed[name] ?? 0);
    if (d > 0) executed[name] = d;
  }
  return { executed, reads: after.reads - before.reads - OWN_READS };
}

export function addCounts(a: CommandCounts, b: CommandCounts): CommandCounts {
  const executed: Record<string, number> = { ...a.executed };
  for (const [name, n] of Object.entries(b.executed)) executed[name] = (executed[name] ?? 0) + n;
  return { executed, reads: a.reads + b.reads };
}

export const totalExecuted = (c: CommandCounts): number => Object.values(c.executed).reduce((s, n) => s + n, 0);
