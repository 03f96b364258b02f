// Starts the emulator and a gateway in-process on port 0, with a logger whose lines the test can read.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway, type RunningGateway } from "../../src/app.js";
import type { Config } from "../../src/config/config.js";
import type { Deployment } from "../../src/core/deployments.js";
import { DEFAULT_ROUTING } from "../../src/core/routing/options.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { DEFAULT_LOCKOUT } from "../../src/auth/login-guard.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { provisionUser, type Provisioned } from "./identity.js";
import { freshDatabase } from "./postgres.js";
import { REDIS_URL } from "./redis.js";

export const EMULATOR_KEY = "test-emulator-key";

export interface TestGateway {
  readonly gw: RunningGateway;
  readonly emulator: Emulator;
  readonly httpUrl: string;
  readonly grpcAddress: string;
  /** Every log line the gateway wrote. */
  readonly logs: string[];
  /** The operator token (AIK_ADMIN_TOKEN) this gateway accepts. */
  readonly adminToken: string;
  /** A member with an API key for every model, made through the AdminService. */
  readonly member: Provisioned;
  /** The member's API key. */
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  /** Faults cleared and every member healthy again: what one test's injected failures taught the router must not leak into the next. */
  resetUpstream(): void;
  close(): Promise<void>;
}

/** The test deployments: both URL styles, a reasoning model, embeddings, and a failover pair. */
export function testDeployments(emulatorUrl: string): Deployment[] {
  const base = {
    endpoint: emulatorUrl,
    auth: { kind: "api_key", apiKey: EMULATOR_KEY },
    priority: 0,
    region: "Test Region",
    price: undefined,
    apiVersionPolicy: "client",
    responsesStore: "client",
    kind: "standard",
    weight: 1,
  } as const;
  return [
    { ...base, id: "gpt-4o", deployment: "gpt-4o", model: "gpt-4o", apiStyle: "classic", apiVersion: "2024-10-21" },
    { ...base, id: "gpt-4o-mini", deployment: "gpt-4o-mini", model: "gpt-4o-mini", apiStyle: "v1", apiVersion: undefined },
    { ...base, id: "o4-mini", deployment: "o4-mini", model: "o4-mini", apiStyle: "v1", apiVersion: undefined },
    { ...base, id: "old-api", deployment: "gpt-4o-old", model: "gpt-4o-old", apiStyle: "classic", apiVersion: "2024-06-01" },
    { ...base, id: "embed", deployment: "text-embedding-3-small", model: "text-embedding-3-small", apiStyle: "classic", apiVersion: "2024-10-21" },
    // Two deployments of one model: "ptu" first, "paygo" takes over when it throttles.
    { ...base, id: "ptu", deployment: "gpt-4.1-ptu", model: "gpt-4.1", apiStyle: "classic", apiVersion: "2025-04-01-preview", priority: 0 },
    { ...base, id: "paygo", deployment: "gpt-4.1-paygo", model: "gpt-4.1", apiStyle: "v1", apiVersion: undefined, priority: 1 },
    // Legacy completions; a deployment that pins its api-version; one that never lets Azure store responses.
    { ...base, id: "instruct", deployment: "gpt-35-turbo-instruct", model: "gpt-35-turbo-instruct", apiStyle: "classic", apiVersion: "2024-10-21" },
    { ...base, id: "pinned", deployment: "gpt-4o-pinned", model: "gpt-4o-pinned", apiStyle: "classic", apiVersion: "2025-04-01-preview", apiVersionPolicy: "pin" },
    { ...base, id: "nostore", deployment: "gpt-4o-nostore", model: "gpt-4o-nostore", apiStyle: "v1", apiVersion: undefined, responsesStore: "never" },
    // Azure has no such deployment: the gateway must answer 502 naming "ghost".
    { ...base, id: "ghost", deployment: "not-deployed", model: "ghost-model", apiStyle: "classic", apiVersion: "2024-10-21" },
  ];
}

export interface TestStores {
  readonly databaseUrl: string;
  readonly redisPrefix: string;
  readonly adminToken: string;
}

export function testConfig(deployments: readonly Deployment[], stores: TestStores, overrides: Partial<Config> = {}): Config {
  return {
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    maxBodyBytes: 4 * 1024 * 1024,
    production: false,
    tls: undefined,
    mode: { kind: "deployments", deployments },
    routing: DEFAULT_ROUTING,
    aliases: {},
    upstream: {
      connections: 16,
      connectTimeoutMs: 2000,
      headersTimeoutMs: 5000,
      bodyTimeoutMs: 5000,
      keepAliveTimeoutMs: 10_000,
      maxResponseBytes: 64 * 1024 * 1024,
    },
    shutdownGraceMs: 2000,
    shutdownDelayMs: 0,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 60_000,
    corsOrigins: [],
    // No console build unless a test names one (/console then answers 503, "not built").
    console: { enabled: true, dir: join(tmpdir(), "aik-console-not-built") },
    database: { url: stores.databaseUrl, listenUrl: undefined, maxConnections: 10 },
    dataDir: mkdtempSync(join(tmpdir(), "aik-test-data-")),
    redis: { servers: { mode: "standalone", url: REDIS_URL }, keyPrefix: stores.redisPrefix, commandTimeoutMs: 500 },
    auth: {
      adminToken: stores.adminToken,
      sessionTtlMs: 3600_000,
      keyCache: { maxEntries: 1000, ttlMs: 60_000, negativeTtlMs: 30_000 },
      lockout: DEFAULT_LOCKOUT,
      signIn: { passwordLogin: true, oidc: undefined },
      jwtIssuers: [],
    },
    limits: { defaults: {}, softBudgetPercent: 80, failOpen: true, defaultMaxOutputTokens: 4096, budgetSyncMs: 30_000 },
    metering: { retentionDays: 90, spoolDir: undefined, backgroundPollMs: 30_000 },
    logLevel: "debug",
    telemetry: "off",
    metricExportIntervalMs: undefined,
    trustedProxies: 0,
    warnings: [],
    ...overrides,
  };
}

const EMULATOR_DEPLOYMENTS = [
  { name: "gpt-4o", model: "gpt-4o" },
  { name: "gpt-4o-mini", model: "gpt-4o-mini" },
  { name: "o4-mini", model: "o4-mini" },
  { name: "gpt-4o-old", model: "gpt-4o" },
  { name: "text-embedding-3-small", model: "text-embedding-3-small" },
  { name: "gpt-4.1-ptu", model: "gpt-4.1" },
  { name: "gpt-4.1-paygo", model: "gpt-4.1" },
  // Two more of the same model, for pools test/routing builds.
  { name: "gpt-4.1-east", model: "gpt-4.1" },
  { name: "gpt-4.1-west", model: "gpt-4.1" },
  { name: "gpt-35-turbo-instruct", model: "gpt-35-turbo-instruct" },
  { name: "gpt-4o-pinned", model: "gpt-4o" },
  { name: "gpt-4o-nostore", model: "gpt-4o" },
];
const emulatorDeploymentNames = EMULATOR_DEPLOYMENTS.map((d) => d.name);

/** Each call gets its own fresh database and Redis key prefix; the same stores may be shared by several gateways. */
export async function testStores(): Promise<TestStores & { drop(): Promise<void> }> {
  const db = await freshDatabase();
  return {
    databaseUrl: db.url,
    redisPrefix: `aik-test-${randomBytes(6).toString("hex")}:`,
    adminToken: randomBytes(32).toString("base64url"),
    drop: db.drop,
  };
}

/** `tweak` edits the finished config (for nested settings such as the lockout policy). */
export async function startTestGateway(overrides: Partial<Config> = {}, tweak: (c: Config) => Config = (c) => c): Promise<TestGateway> {
  const emulator = await startEmulator({ apiKey: EMULATOR_KEY, deployments: EMULATOR_DEPLOYMENTS });
  const logs: string[] = [];
  const logger = createLogger("debug", (line) => logs.push(line));
  const stores = await testStores();
  const gw = await startGateway(tweak(testConfig(testDeployments(emulator.url), stores, overrides)), logger);
  const member = await provisionUser(gw.httpUrl, stores.adminToken, "member");
  return {
    gw,
    emulator,
    httpUrl: gw.httpUrl,
    grpcAddress: gw.grpcAddress,
    logs,
    adminToken: stores.adminToken,
    member,
    apiKey: member.apiKey,
    databaseUrl: stores.databaseUrl,
    redisPrefix: stores.redisPrefix,
    resetUpstream: () => {
      for (const d of emulatorDeploymentNames) emulator.setFault(d, undefined);
      gw.router.resetHealth();
    },
    close: async () => {
      await gw.close();
      await emulator.close();
      await stores.drop();
    },
  };
}
