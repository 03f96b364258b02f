// The memory scenario's client: holds N streams open through one front door at once, each on its own connection, idle
// (the emulator has been told to wait minutes before the first token), until the runner says close.
// Started by idle-streams.ts as: node --import tsx bench/gateway/open-streams.ts '<OpenStreamsSpec JSON>'; talks over IPC:
// it sends "warmed", then on "open" opens them all and sends "opened", then on "close" aborts them all and sends "closed".
import { Pool } from "undici";
import type { Readable } from "node:stream";
import { isRecord } from "./load-spec.js";
import { parseOpenStreamsSpec, type OpenStreamsMessage, type OpenStreamsSpec } from "./open-streams-spec.js";

interface Held {
  readonly abort: AbortController;
  readonly closed: Promise<void>;
  endedEarly: boolean;
}

/** Resolves once the answer's first bytes have arrived: the stream is open end to end, then idle. */
async function openOne(pool: Pool, spec: OpenStreamsSpec): Promise<Held> {
  const abort = new AbortController();
  const res = await pool.request({ method: "POST", path: spec.path, headers: { "content-type": "application/json", ...spec.headers }, body: spec.body, signal: abort.signal });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
  const body: Readable = res.body;
  const held: Held = { abort, closed: new Promise((resolve) => body.once("close", () => resolve())), endedEarly: false };
  body.on("error", () => {}); // the abort that closes it surfaces here
  body.once("end", () => {
    held.endedEarly = true;
  });
  await new Promise<void>((resolve, reject) => {
    body.once("data", () => resolve());
    body.once("end", () => reject(new Error("the stream ended before its first bytes")));
  });
  body.on("data", () => {}); // keeps it flowing, though nothing should come
  return held;
}

async function openAll(pool: Pool, spec: OpenStreamsSpec, n: number): Promise<{ held: Held[]; failed: number; firstError: string | undefined }> {
  const settled = await Promise.allSettled(Array.from({ length: n }, () => openOne(pool, spec)));
  const held: Held[] = [];
  let firstError: string | undefined;
  for (const s of settled) {
    if (s.status === "fulfilled") held.push(s.value);
    else firstError ??= String(s.reason);
  }
  return { held, failed: n - held.length, firstError };
}

async function closeAll(held: readonly Held[]): Promise<number> {
  for (const h of held) h.abort.abort();
  await Promise.all(held.map((h) => h.closed));
  return held.filter((h) => h.endedEarly).length;
}

function send(m: OpenStreamsMessage): void {
  if (!process.send) throw new Error("open-streams.ts must be started by the bench runner (it reports over IPC)");
  process.send(m);
}

const spec = parseOpenStreamsSpec(process.argv[2] ?? "");
// One connection per stream: HTTP/1.1 carries one answer at a time, so N open streams need N sockets.
const pool = new Pool(spec.target, { connections: spec.count + spec.warmup, keepAliveTimeout: 600_000, headersTimeout: 120_000, bodyTimeout: 0 });

const warm = await openAll(pool, spec, spec.warmup);
if (warm.failed > 0) throw new Error(`open-streams: ${warm.failed} of ${spec.warmup} warm-up streams failed: ${warm.firstError ?? "?"}`);
await closeAll(warm.held);
let held: Held[] = [];
process.channel?.ref();
process.on("message", (m: unknown) => {
  const kind = isRecord(m) ? m["kind"] : undefined;
  const t0 = performance.now();
  if (kind === "open") {
    void openAll(pool, spec, spec.count).then((r) => {
      held = r.held;
      send({ kind: "opened", opened: r.held.length, failed: r.failed, firstError: r.firstError, seconds: (performance.now() - t0) / 1000 });
    });
  }
  if (kind === "close") {
    void closeAll(held).then(async (endedEarly) => {
      await pool.destroy();
      send({ kind: "closed", endedEarly, seconds: (performance.now() - t0) / 1000 });
    });
  }
});
send({ kind: "warmed" });
