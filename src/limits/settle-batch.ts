// Settlements go to Redis in pipelines: they are off the request path, so a few milliseconds of gathering cost nothing.
import type { RedisClient } from "../redis/connection.js";

type Arg = string | number;

interface Waiting {
  readonly args: Arg[];
  /** The hash tag every key of this settlement carries. */
  readonly tag: string;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** How long settlements gather before one pipeline carries them: one socket write instead of many. */
const GATHER_MS = 2;
const MAX_BATCH = 256;

export class SettleBatch {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    /** The name the settle script was defined under (ioredis defineCommand). */
    private readonly command: string,
  ) {}

  send(args: Arg[], tag: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ args, tag, resolve, reject });
      if (this.waiting.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), GATHER_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    if (!this.redis.isCluster) return this.exec(batch);
    // A Cluster pipeline must stay on one node: one pipeline per hash tag (one slot) keeps that true.
    const byTag = new Map<string, Waiting[]>();
    for (const w of batch) {
      const group = byTag.get(w.tag);
      if (group) group.push(w);
      else byTag.set(w.tag, [w]);
    }
    for (const group of byTag.values()) this.exec(group);
  }

  private exec(batch: readonly Waiting[]): void {
    const pipeline = this.redis.pipeline();
    const settle: unknown = Reflect.get(pipeline, this.command);
    if (typeof settle !== "function") {
      for (const w of batch) w.reject(new Error(`Redis pipeline lacks the ${this.command} command`));
      return;
    }
    for (const w of batch) Reflect.apply(settle, pipeline, w.args);
    pipeline.exec().then(
      (results) => {
        batch.forEach((w, i) => {
          const [err, reply] = results?.[i] ?? [new Error("no reply in the pipeline"), undefined];
          if (err) w.reject(err);
          else w.resolve(reply);
        });
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
