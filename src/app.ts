// Starts and stops one gateway: stores, identity, upstream (Azure or the emulator), core, both front doors.
import type { Server as HttpServer } from "node:http";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config/config.js";
import { createGateway, type Gateway } from "./core/gateway.js";
import { OPERATOR_ACTOR } from "./auth/audit.js";
import { Readiness } from "./core/readiness.js";
import type { Router } from "./core/router.js";
import type { Emulator } from "./emulator/index.js";
import { connectRedis, redisReady, type RedisClient, type RedisServers } from "./redis/connection.js";
import { loadApiSchema } from "./schema/api-schema.js";
import { openDatabase, type Database } from "./store/database.js";
import { migrate } from "./store/migrate.js";
import { migrations } from "./store/migrations/index.js";
import { errorFields, type Logger } from "./telemetry/logger.js";
import { observeStep } from "./telemetry/observe-step.js";
import { upstreamObserver } from "./telemetry/upstream-observer.js";
import type { Telemetry } from "./telemetry/otel.js";
import { bindGrpc, createGrpcServer, grpcCredentials } from "./transport/grpc/server.js";
import { createHttpServer } from "./transport/http/server.js";
import { servedMethods } from "./operations/index.js";
import { startObjects } from "./wiring/objects.js";
import { reloader } from "./wiring/reload.js";
import { AzureUpstream } from "./upstream/azure-client.js";
import type { Bootstrap } from "./wiring/bootstrap.js";
import { startIdentity } from "./wiring/identity.js";
import { poolSettings, startRouting } from "./wiring/upstream.js";
import { buildLimiter, buildLimitsStep } from "./wiring/limits.js";
import { counter, pricing, startMetering } from "./wiring/metering.js";
import { BudgetSync } from "./limits/budget-sync.js";
import { monthSpend } from "./metering/month-spend.js";

export interface RunningGateway {
  readonly httpUrl: string;
  /** The web console's address and whether its build is there; undefined when AIK_CONSOLE=off. */
  readonly console: { readonly url: string; readonly built: boolean } | undefined;
  readonly grpcAddress: string;
  readonly gateway: Gateway;
  /** The deployment pools and what this replica knows of their members' health. */
  readonly router: Router;
  /** The in-process emulator, in zero-config mode. */
  readonly emulator: Emulator | undefined;
  readonly readiness: Readiness;
  readonly database: Database;
  /** Set on the first start against an empty store: an admin and a key, to show once. */
  readonly bootstrap: Bootstrap | undefined;
  /** SIGHUP: re-reads the deployments, aliases, routing, prices and default limits, and audits it; an invalid config is refused and changes nothing. */
  reload(): Promise<void>;
  /** Drains: stops taking requests, lets in-flight ones finish (up to the grace period), closes. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Reads the config again for a reload (main: the same file and environment); without it a reload re-applies the start config. */
  readonly readConfig?: () => Config;
}

/** `telemetry` is process-wide (main starts it once); without it /metrics answers 404. */
export async function startGateway(config: Config, logger: Logger, telemetry?: Telemetry, options: GatewayOptions = {}): Promise<RunningGateway> {
  const schema = loadApiSchema();
  const readiness = new Readiness();
  const database = await openDatabase({ ...config.database, dataDir: join(config.dataDir, "pgdata") });
  const redis = config.redis.servers ? await startRedis(config.redis.servers, config, logger) : undefined;
  try {
    // Through the pool, PgBouncer or not: migrate() holds nothing beyond its one transaction.
    await migrate(database.sql, migrations);
  } catch (err) {
    await database.close();
    redis?.disconnect();
    throw err;
  }
  const { router, emulator, emulatorDeployments } = await startRouting(config);
  const upstream = new AzureUpstream(config.upstream, logger);
  // Entra tokens are fetched now, before the first request needs one.
  upstream.prepare(poolSettings(config, emulatorDeployments).deployments);
  const objects = startObjects(database, router, upstream, logger);
  const metering = await startMetering(config, database, router, objects.probe, logger);
  const routingControl = reloader({
    initial: config,
    read: options.readConfig ?? (() => config),
    router,
    emulatorDeployments,
    prepareUpstream: (deployments) => upstream.prepare(deployments),
    setDefaultLimits: (limits) => identity.setDefaultLimits(limits),
    // The audit trail is the identity module's; a reload only happens once it is up.
    audit: { append: (entry) => identity.audit.append(entry) },
    logger,
  });
  // Before identity: GetLimitStatus reads the limiter's counters.
  const limits = buildLimiter(config, redis, logger);
  const limiter = limits.limiter;
  const identity = await startIdentity(config, database, redis, logger, metering.report, routingControl, limiter);
  const budgets = new BudgetSync(limiter, (start) => monthSpend(database.sql, start), logger, config.limits.budgetSyncMs, config.redis.servers?.mode === "cluster");
  void budgets.sync();
  // The order is checked when built: limits and metering need the caller the authentication step gives.
  const gateway = createGateway({
    router,
    upstream,
    authenticate: identity.authenticate,
    front: [observeStep(logger, (name) => router.label(name))],
    objects: [objects.step],
    // Metering wraps limits, so a refused request is still recorded (as rejected_by_limit).
    policies: [identity.modelAccess, metering.metering.step, buildLimitsStep(config, limiter, pricing, counter, logger)],
    observer: upstreamObserver(logger, router),
  });

  const http = createHttpServer(
    {
      gateway,
      methods: servedMethods,
      schema,
      logger,
      ready: () => readiness.ready,
      services: identity.services,
      metrics: telemetry?.serveMetrics,
      metricsToken: config.auth.adminToken,
      console: config.console.enabled ? { dir: config.console.dir, auth: identity.auth } : undefined,
      oidc: identity.oidc,
    },
    {
      maxBodyBytes: config.maxBodyBytes,
      production: config.production,
      tls: config.tls,
      trustedProxies: config.trustedProxies,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      corsOrigins: config.corsOrigins,
    },
  );
  const grpcOptions = { maxMessageBytes: config.maxBodyBytes, tls: config.tls };
  const grpc = createGrpcServer({ gateway, methods: servedMethods, schema, readiness, services: identity.services, logger }, grpcOptions);
  const httpPort = await listen(http.server, config.host, config.httpPort);
  const grpcPort = await bindGrpc(grpc.server, `${config.host}:${config.grpcPort}`, grpcCredentials(grpcOptions));
  readiness.set(true);

  const scheme = config.tls ? "https" : "http";
  const httpUrl = `${scheme}://${hostForUrl(config.host)}:${httpPort}`;
  return {
    httpUrl,
    console: config.console.enabled ? { url: `${httpUrl}/console`, built: existsSync(join(config.console.dir, "index.html")) } : undefined,
    grpcAddress: `${hostForUrl(config.host)}:${grpcPort}`,
    gateway,
    router,
    emulator,
    readiness,
    database,
    bootstrap: identity.bootstrap,
    reload: async () => {
      // SIGHUP: whoever may signal the process is the operator; there is no network source.
      await routingControl.reload({ actor: OPERATOR_ACTOR, source: undefined });
    },
    close: async () => {
      // Readiness turns false at once (/readyz 503, gRPC health NOT_SERVING); the listeners keep
      // accepting through the delay, so a load balancer has time to notice; then they stop.
      readiness.set(false);
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await Promise.all([http.close(config.shutdownGraceMs), grpc.close(config.shutdownGraceMs)]);
      // After the front doors: every answered request has been recorded; write them all.
      await metering.close();
      objects.close();
      await upstream.close();
      budgets.close();
      await limits.close();
      await identity.close();
      await emulator?.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/** Redis down at start is not fatal: logins fail closed and limits follow their outage setting until it returns. */
async function startRedis(servers: RedisServers, config: Config, logger: Logger): Promise<RedisClient> {
  const redis = connectRedis({ servers, commandTimeoutMs: config.redis.commandTimeoutMs });
  redis.on("error", (err: unknown) => logger.debug("redis.error", errorFields(err)));
  await redisReady(redis, 3000).catch((err: unknown) => logger.warn("redis.unreachable_at_start", { mode: servers.mode, ...errorFields(err) }));
  return redis;
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
