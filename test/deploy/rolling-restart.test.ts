// Three replicas behind nginx, restarted one by one with SIGTERM under a steady mixed load: every request answered, metered once, limits exact.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { freshDatabase } from "../support/postgres.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { storedRecords, until, type StoredRecord } from "../support/usage-db.js";
import { fixedPorts } from "./fixed-ports.js";
import { Caller, KINDS, steadyLoad, type Kind, type Outcome } from "./load.js";
import { loopbackCert } from "./loopback-cert.js";
import { nginxBinary, startNginx, type Nginx } from "./nginx.js";
import { replica, type Replica } from "./replica-process.js";

const EMULATOR_KEY = "rolling-restart-emulator-key";
/** Each restart's burst key: requests per minute, and twice as many requests sent at once. */
const BURST_LIMIT = 20;
/** Closed loops per kind of request in the steady load (4 kinds). */
const LOOPS_PER_KIND = 2;

let emulator: Emulator | undefined;
let database: { url: string; drop(): Promise<void> } | undefined;
let redis: TestRedis | undefined;
let dir: string | undefined;
let replicas: Replica[] = [];
let balancer: Nginx | undefined;
let callers: Caller[] = [];
let stopLoad: (() => Promise<void>) | undefined;
let adminToken = "";

beforeAll(async () => {
  nginxBinary();
  emulator = await startEmulator({ apiKey: EMULATOR_KEY, deployments: [{ name: "gpt-4o-mini", model: "gpt-4o-mini" }], timeToFirstTokenMs: 20, chunkDelayMs: 10 });
  database = await freshDatabase();
  redis = await testRedis();
  dir = mkdtempSync(join(tmpdir(), "aik-rolling-"));
  adminToken = randomBytes(32).toString("base64url");
  // TLS between nginx and the replicas: see "Running in production" in the README and nginx.ts.
  const tls = loopbackCert(dir);
  const configFile = join(dir, "aik.yaml");
  writeFileSync(
    configFile,
    `deployments:
  - { id: gpt-4o-mini, endpoint: "${emulator.url}", deployment: gpt-4o-mini, model: gpt-4o-mini, api_key_env: AIK_TEST_EMULATOR_KEY, api_style: v1 }
server:
  trusted_proxies: 1
  # Longer than nginx's upstream keepalive_timeout (1 s) plus the longest answer: see test/deploy/nginx.ts.
  shutdown_delay_ms: 2000
  shutdown_grace_ms: 15000
  tls: { cert_file: "${tls.certFile}", key_file: "${tls.keyFile}" }
# A loaded test machine must not turn a slow Redis into in-process limits: exactness is what is tested.
redis: { command_timeout_ms: 5000 }
limits: { fail_open: false }
`,
  );
  const ports = await fixedPorts(8);
  replicas = [0, 1, 2].map((i) =>
    replica({
      name: `replica-${i + 1}`,
      httpPort: ports[2 * i] ?? 0,
      grpcPort: ports[2 * i + 1] ?? 0,
      tlsCert: tls.certFile,
      env: {
        AIK_CONFIG: configFile,
        AIK_TEST_EMULATOR_KEY: EMULATOR_KEY,
        AIK_DATA_DIR: join(dir ?? "", `replica-${i + 1}`),
        AIK_LOG_LEVEL: "info",
        AIK_ADMIN_TOKEN: adminToken,
        DATABASE_URL: database?.url ?? "",
        REDIS_URL: redis?.url ?? "",
        AIK_REDIS_PREFIX: redis?.prefix ?? "",
      },
    }),
  );
  // The first migrates the fresh database; the others find it done.
  await replicas[0]?.start();
  await Promise.all(replicas.slice(1).map((r) => r.start()));
  balancer = await startNginx(
    { http: ports[6] ?? 0, grpc: ports[7] ?? 0 },
    replicas.map((r) => ({ httpPort: r.spec.httpPort, grpcPort: r.spec.grpcPort })),
    { trustedCert: tls.certFile, keepaliveTimeoutS: 1 },
  );
}, 240_000);

afterAll(async () => {
  await stopLoad?.().catch(() => undefined);
  for (const c of callers) c.close();
  await Promise.all(replicas.map((r) => r.kill()));
  await balancer?.close();
  await emulator?.close();
  await redis?.close();
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** `count` requests at once, unary HTTP and gRPC in turn. */
function burst(caller: Caller, count: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => caller.send(i % 2 === 0 ? "http-unary" : "grpc-unary")));
}

/** Access-log lines (see nginx.ts) whose last upstream is `port`, logged between two epoch times (ms). */
function answeredBy(log: string, port: number, fromMs: number, toMs = Infinity): number {
  return log
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([msec, status, , , upstream]) => {
      const at = Number(msec) * 1000;
      const last = (upstream ?? "").split(",").pop()?.trim();
      return status === "200" && last === `127.0.0.1:${port}` && at >= fromMs && at <= toMs;
    }).length;
}

interface Restart {
  readonly name: string;
  readonly sigtermAt: number;
  readonly exitedAt: number;
  readonly sigtermEpochMs: number;
  readonly exitedEpochMs: number;
  readonly exitCode: number | null;
  readonly burst: readonly Outcome[];
  readonly burstMs: number;
}

describe("rolling restart behind nginx", () => {
  it("restarts each replica under load: every request answered in full, metered exactly once, limits exact", async () => {
    if (!balancer || !database) throw new Error("setup failed");
    const lb = balancer;
    // Users and keys are made the way an operator would: through the load balancer.
    const admin = lb.httpUrl;
    // Far from its limit, so the replicas admit it from leases, which each one gives back when it stops.
    const loadUser: Provisioned = await provisionUser(admin, adminToken, "member", { limits: { requests_per_minute: 100_000 } });
    const burstUsers = await Promise.all(replicas.map(() => provisionUser(admin, adminToken, "member", { limits: { requests_per_minute: BURST_LIMIT } })));
    const load = new Caller(lb, loadUser.apiKey, "load");
    const burstCallers = burstUsers.map((u, i) => new Caller(lb, u.apiKey, `burst-${i + 1}`));
    callers = [load, ...burstCallers];

    const outcomes: Outcome[] = [];
    const running = steadyLoad(load, LOOPS_PER_KIND, outcomes);
    stopLoad = () => running.stop();
    const okOf = (kind: Kind): number => outcomes.filter((o) => o.kind === kind && o.result === "ok").length;
    await until("the steady load is flowing", async () => KINDS.every((k) => okOf(k) >= 5), 30_000).catch((err: unknown) => {
      const failures = outcomes.filter((o) => o.result !== "ok").slice(0, 8);
      throw new Error(`${String(err)}; first failures: ${JSON.stringify(failures)}`);
    });

    const restarts: Restart[] = [];
    for (const [i, r] of replicas.entries()) {
      const caller = burstCallers[i];
      if (!caller) throw new Error("no burst caller");
      const sigtermAt = performance.now();
      const sigtermEpochMs = Date.now();
      r.signal("SIGTERM");
      // While it drains (still answering, /readyz 503), a burst over its limit for a fresh key.
      const burstDone = burst(caller, 2 * BURST_LIMIT);
      const exitCode = await r.exited();
      const exitedAt = performance.now();
      const exitedEpochMs = Date.now();
      const burstOutcomes = await burstDone;
      const burstMs = Math.max(...burstOutcomes.map((o) => o.endedAt)) - Math.min(...burstOutcomes.map((o) => o.startedAt));
      restarts.push({ name: r.spec.name, sigtermAt, exitedAt, sigtermEpochMs, exitedEpochMs, exitCode, burst: burstOutcomes, burstMs });
      await r.start();
      // Back in nginx's rotation (a refused connection took it out for fail_timeout) on both ports before the next one goes.
      const readyEpochMs = Date.now();
      await until(`nginx sends to ${r.spec.name} again`, async () => answeredBy(lb.accessLog(), r.spec.httpPort, readyEpochMs) > 0 && answeredBy(lb.accessLog(), r.spec.grpcPort, readyEpochMs) > 0, 30_000);
    }
    const afterLast = outcomes.length;
    await until("the load runs on after the last restart", async () => outcomes.slice(afterLast).filter((o) => o.result === "ok").length >= 40, 30_000);
    await running.stop();
    stopLoad = undefined;

    const all = [...outcomes, ...restarts.flatMap((r) => r.burst)];
    const failed = all.filter((o) => o.result === "failed");
    const context = `\nnginx error log (last lines):\n${lb.errorLog().split("\n").slice(-30).join("\n")}`;
    expect(failed.map((o) => `${o.kind} ${o.key} ${o.requestId ?? "(no request id)"}: ${o.detail}`), context).toEqual([]);
    expect(outcomes.filter((o) => o.result !== "ok").map((o) => `${o.kind}: ${o.result} ${o.detail}`)).toEqual([]);

    for (const r of restarts) {
      // A clean drain: the process finished every accepted request, flushed metering and exited 0.
      expect(r.exitCode, `${r.name} exit code`).toBe(0);
      // The load really ran across the drain: every kind had requests in flight while the replica drained...
      for (const kind of KINDS) {
        expect(outcomes.filter((o) => o.kind === kind && o.startedAt < r.exitedAt && o.endedAt > r.sigtermAt).length, `${kind} requests during ${r.name}'s drain`).toBeGreaterThan(0);
      }
      // ...and nginx kept sending to the draining replica (it cannot see /readyz), which answered them.
      const replicaSpec = replicas.find((x) => x.spec.name === r.name)?.spec;
      expect(answeredBy(lb.accessLog(), replicaSpec?.httpPort ?? 0, r.sigtermEpochMs, r.exitedEpochMs), `HTTP answers from ${r.name} while it drained`).toBeGreaterThan(0);
      // Limits: exactly the limit admitted, plus what the bucket refilled while the burst ran (none in under 3 s).
      const admitted = r.burst.filter((o) => o.result === "ok").length;
      const refilled = Math.floor((BURST_LIMIT * r.burstMs) / 60_000);
      expect(admitted, `${r.name}'s burst (took ${Math.round(r.burstMs)} ms)`).toBeGreaterThanOrEqual(BURST_LIMIT);
      expect(admitted, `${r.name}'s burst (took ${Math.round(r.burstMs)} ms)`).toBeLessThanOrEqual(BURST_LIMIT + refilled);
      expect(r.burst.filter((o) => o.result === "rate_limited").length).toBe(2 * BURST_LIMIT - admitted);
    }

    // Metering: one row per answered request, found by its request id, and no row nobody asked for.
    const keyIds = [loadUser.keyId, ...burstUsers.map((u) => u.keyId)];
    let rows: StoredRecord[] = [];
    await until(
      "every answer's usage row is written",
      async () => {
        rows = await storedRecords(database?.url ?? "", { keyIds });
        return rows.length >= all.length;
      },
      30_000,
    );
    expect(all.filter((o) => o.requestId === undefined).map((o) => `${o.kind} ${o.key}`)).toEqual([]);
    const byId = new Map<string, StoredRecord[]>();
    for (const row of rows) byId.set(row.request_id, [...(byId.get(row.request_id) ?? []), row]);
    const wrong: string[] = [];
    for (const o of all) {
      const found = byId.get(o.requestId ?? "") ?? [];
      const row = found[0];
      if (found.length !== 1 || !row) {
        wrong.push(`${o.kind} ${o.requestId ?? ""}: ${found.length} rows`);
        continue;
      }
      const outcome = o.result === "ok" ? "ok" : "rejected_by_limit:requests";
      const protocol = o.kind.startsWith("http") ? "http" : "grpc";
      const streamed = o.kind.endsWith("stream");
      if (row.outcome !== outcome || row.protocol !== protocol || row.streamed !== streamed || row.estimated) {
        wrong.push(`${o.kind} ${o.requestId ?? ""}: row says ${row.outcome} ${row.protocol} streamed=${String(row.streamed)} estimated=${String(row.estimated)}`);
      }
    }
    expect(wrong).toEqual([]);
    const asked = new Set(all.map((o) => o.requestId));
    expect(rows.filter((row) => !asked.has(row.request_id)).map((row) => `${row.request_id} ${row.outcome}`)).toEqual([]);
    expect(rows.length).toBe(all.length);

    const count = (kind: Kind): number => all.filter((o) => o.kind === kind).length;
    const duringDrains = outcomes.filter((o) => restarts.some((r) => o.startedAt < r.exitedAt && o.endedAt > r.sigtermAt)).length;
    const byDraining = restarts.map((r) => {
      const spec = replicas.find((x) => x.spec.name === r.name)?.spec;
      return answeredBy(lb.accessLog(), spec?.httpPort ?? 0, r.sigtermEpochMs, r.exitedEpochMs) + answeredBy(lb.accessLog(), spec?.grpcPort ?? 0, r.sigtermEpochMs, r.exitedEpochMs);
    });
    console.info(
      `rolling restart: ${all.length} requests (${KINDS.map((k) => `${k} ${count(k)}`).join(", ")}, bursts ${restarts.length * 2 * BURST_LIMIT}); ` +
        `${duringDrains} of the steady load's in flight during a drain; answered by the draining replica ${byDraining.join("/")}; ` +
        `bursts admitted ${restarts.map((r) => r.burst.filter((o) => o.result === "ok").length).join("/")} of ${2 * BURST_LIMIT} each; ` +
        `drains took ${restarts.map((r) => Math.round(r.exitedAt - r.sigtermAt)).join("/")} ms`,
    );
  }, 300_000);
});
