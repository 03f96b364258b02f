// Builds the Config from the file named by AIK_CONFIG (YAML or JSON) plus environment variables.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { Deployment } from "../core/deployments.js";
import type { JsonValue } from "../core/json.js";
import { parseMicroUsd } from "../core/money.js";
import type { LogLevel } from "../telemetry/logger.js";
import type { TelemetryMode } from "../telemetry/otel.js";
import type { Config, TlsFiles, UpstreamMode } from "./config.js";
import { readDeployments, readWildcard } from "./deployments.js";
import { readAliases, readRouting } from "./routing.js";
import { readRedis } from "./redis.js";
import { readConsole } from "./console.js";
import { readSignIn } from "./oidc.js";
import { readJwtIssuers } from "./jwt-issuers.js";
import { ConfigError, Reader, envInteger, envOneOf } from "./reader.js";

const MIB = 1024 * 1024;

export function loadConfig(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): Config {
  const root = Reader.of(readConfigFile(env, readFile), "");
  const warnings: string[] = [];
  const server = root.child("server");
  const upstream = root.child("upstream");
  const database = root.child("database");
  const redis = root.child("redis");
  const auth = root.child("auth");
  const lockout = auth.child("lockout");
  const limits = root.child("limits");
  const defaults = limits.child("defaults");
  const metering = root.child("metering");
  const deployments = readDeployments(root.list("deployments"), env, warnings);
  const production = envOneOf(env, "AIK_ENV", ["production", "development"], "development") === "production" || (server.boolean("production") ?? false);

  const config: Config = {
    host: env.AIK_HOST || server.string("host") || "127.0.0.1",
    httpPort: envInteger(env, "AIK_HTTP_PORT", 0, 65535) ?? server.integer("http_port", 0, 65535) ?? 8080,
    grpcPort: envInteger(env, "AIK_GRPC_PORT", 0, 65535) ?? server.integer("grpc_port", 0, 65535) ?? 50051,
    maxBodyBytes: envInteger(env, "AIK_MAX_BODY_BYTES", 1024, 256 * MIB) ?? server.integer("max_body_bytes", 1024, 256 * MIB) ?? 4 * MIB,
    production,
    tls: readTls(server, env),
    mode: chooseMode(deployments, env, warnings),
    routing: readRouting(root.child("routing")),
    aliases: readAliases(root, deployments),
    upstream: {
      connections: upstream.integer("connections", 1, 4096) ?? 128,
      connectTimeoutMs: upstream.integer("connect_timeout_ms", 100, 120_000) ?? 10_000,
      headersTimeoutMs: upstream.integer("headers_timeout_ms", 1000, 3_600_000) ?? 300_000,
      bodyTimeoutMs: upstream.integer("body_timeout_ms", 1000, 3_600_000) ?? 120_000,
      keepAliveTimeoutMs: upstream.integer("keep_alive_timeout_ms", 1000, 600_000) ?? 30_000,
      maxResponseBytes: upstream.integer("max_response_bytes", MIB, 1024 * MIB) ?? 64 * MIB,
    },
    shutdownGraceMs: server.integer("shutdown_grace_ms", 0, 600_000) ?? 10_000,
    shutdownDelayMs: server.integer("shutdown_delay_ms", 0, 600_000) ?? (production ? 5_000 : 0),
    headersTimeoutMs: server.integer("headers_timeout_ms", 1_000, 600_000) ?? 10_000,
    requestTimeoutMs: server.integer("request_timeout_ms", 1_000, 3_600_000) ?? 60_000,
    corsOrigins: readOrigins(server),
    console: readConsole(env),
    database: {
      url: env.DATABASE_URL || database.string("url"),
      listenUrl: env.DATABASE_LISTEN_URL || database.string("listen_url"),
      maxConnections: database.integer("max_connections", 1, 1000) ?? 10,
    },
    dataDir: env.AIK_DATA_DIR || server.string("data_dir") || ".aik",
    redis: {
      ...readRedis(redis, env),
      commandTimeoutMs: redis.integer("command_timeout_ms", 10, 10_000) ?? 500,
    },
    auth: {
      adminToken: readAdminToken(env),
      sessionTtlMs: (auth.integer("session_ttl_minutes", 5, 43_200) ?? 720) * 60_000,
      keyCache: {
        maxEntries: auth.integer("key_cache_size", 100, 10_000_000) ?? 10_000,
        ttlMs: auth.integer("key_cache_ttl_ms", 1000, 3_600_000) ?? 60_000,
        negativeTtlMs: auth.integer("negative_cache_ttl_ms", 1000, 3_600_000) ?? 30_000,
      },
      lockout: {
        maxFailures: lockout.integer("max_failures", 1, 100) ?? 5,
        windowMs: (lockout.integer("window_minutes", 1, 1440) ?? 15) * 60_000,
        lockMs: (lockout.integer("lock_minutes", 1, 1440) ?? 15) * 60_000,
        maxLockMs: (lockout.integer("max_lock_minutes", 1, 10_080) ?? 1440) * 60_000,
        levelMemoryMs: 24 * 3600_000,
        maxSourceFailures: lockout.integer("max_source_failures", 1, 100_000) ?? 30,
      },
      signIn: readSignIn(auth, env),
      jwtIssuers: readJwtIssuers(auth.list("jwt_issuers")),
    },
    limits: {
      defaults: {
        requestsPerMinute: defaults.integer("requests_per_minute", 1, 1_000_000),
        tokensPerMinute: defaults.integer("tokens_per_minute", 1, 1_000_000_000),
        maxConcurrent: defaults.integer("max_concurrent_requests", 1, 100_000),
        monthlyBudgetMicroUsd: readUsd(defaults, "monthly_budget_usd"),
      },
      softBudgetPercent: limits.integer("soft_budget_percent", 1, 100) ?? 80,
      failOpen: limits.boolean("fail_open") ?? true,
      defaultMaxOutputTokens: limits.integer("default_max_output_tokens", 1, 1_000_000) ?? 4096,
      budgetSyncMs: limits.integer("budget_sync_ms", 100, 3_600_000) ?? 30_000,
    },
    metering: {
      retentionDays: metering.integer("retention_days", 1, 36_500) ?? 90,
      spoolDir: env.AIK_SPOOL_DIR || metering.string("spool_dir"),
      backgroundPollMs: metering.integer("background_poll_ms", 100, 3_600_000) ?? 30_000,
    },
    logLevel: envOneOf<LogLevel>(env, "AIK_LOG_LEVEL", ["debug", "info", "warn", "error"], "info", "debug, info, warn or error"),
    telemetry: readTelemetry(env),
    metricExportIntervalMs: envInteger(env, "OTEL_METRIC_EXPORT_INTERVAL", 100, 3_600_000),
    trustedProxies: readTrustedProxies(server),
    warnings,
  };
  defaults.done();
  limits.done();
  metering.done();
  server.done();
  upstream.done();
  database.done();
  redis.done();
  lockout.done();
  auth.done();
  root.done();
  return deepFreeze(config);
}

function readConfigFile(env: NodeJS.ProcessEnv, readFile: (path: string) => string): JsonValue | undefined {
  const path = env.AIK_CONFIG;
  if (!path) return undefined;
  let text: string;
  try {
    text = readFile(path);
  } catch {
    throw new ConfigError(`AIK_CONFIG names ${path}, which cannot be read: check the path and permissions.`);
  }
  try {
    // YAML is a superset of JSON, so one parser reads both.
    const value: unknown = parseYaml(text);
    return isJson(value) ? value : undefined;
  } catch (err) {
    const where = err instanceof Error && "linePos" in err && Array.isArray(err.linePos) ? " near line " + String(err.linePos[0]?.line) : "";
    throw new ConfigError(`AIK_CONFIG file ${path} is not valid YAML or JSON${where}: fix its syntax.`);
  }
}

function isJson(v: unknown): v is JsonValue {
  return v === null || ["string", "number", "boolean", "object"].includes(typeof v);
}

function chooseMode(deployments: readonly Deployment[], env: NodeJS.ProcessEnv, warnings: string[]): UpstreamMode {
  const wildcard = readWildcard(env, warnings);
  if (deployments.length > 0) {
    if (wildcard) warnings.push("AZURE_OPENAI_ENDPOINT is ignored: the config file lists deployments.");
    return { kind: "deployments", deployments };
  }
  if (wildcard) return { kind: "env", wildcard };
  return { kind: "emulator" };
}

/** The OTEL_* variables belong to the OpenTelemetry SDK; here they only decide whether to start it. */
function readTelemetry(env: NodeJS.ProcessEnv): TelemetryMode {
  const otlp = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"].some((n) => env[n]);
  return envOneOf<TelemetryMode>(env, "AIK_TELEMETRY", ["off", "otlp", "console"], otlp ? "otlp" : "off");
}

function readUsd(r: Reader, key: string): number | undefined {
  const v = r.raw(key);
  if (v === undefined || v === null) return undefined;
  const micros = typeof v === "string" || typeof v === "number" ? parseMicroUsd(String(v)) : undefined;
  if (micros === undefined) throw new ConfigError(`${r.at(key)} must be USD as a decimal such as "12.50".`);
  return micros;
}

function readAdminToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.AIK_ADMIN_TOKEN;
  if (token === undefined || token === "") return undefined;
  if (token.length < 32) throw new ConfigError("AIK_ADMIN_TOKEN must be at least 32 characters: generate one with `openssl rand -base64 32`.");
  return token;
}

function readTls(server: Reader, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const tls = server.child("tls");
  const certFile = env.AIK_TLS_CERT || tls.string("cert_file");
  const keyFile = env.AIK_TLS_KEY || tls.string("key_file");
  const minVersion = tls.oneOf<TlsFiles["minVersion"]>("min_version", ["TLSv1.2", "TLSv1.3"], "TLSv1.2");
  tls.done();
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ConfigError("server.tls needs both cert_file and key_file (or AIK_TLS_CERT and AIK_TLS_KEY).");
  return { certFile, keyFile, minVersion };
}

/** `trusted_proxies: N` hops; the older `trust_proxy: true` means one. */
function readTrustedProxies(server: Reader): number {
  const hops = server.integer("trusted_proxies", 0, 16);
  const legacy = server.boolean("trust_proxy");
  if (hops !== undefined && legacy !== undefined) throw new ConfigError("server.trust_proxy and server.trusted_proxies are both set: keep trusted_proxies.");
  return hops ?? (legacy ? 1 : 0);
}

/** Exact origins (scheme://host[:port]); a wildcard is refused: credentials never go to any origin. */
function readOrigins(server: Reader): string[] {
  const cors = server.child("cors");
  const origins = cors.strings("allowed_origins").map((o, i) => {
    const at = `server.cors.allowed_origins[${i}]`;
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== o) {
      throw new ConfigError(`${at} must be an exact origin such as https://app.example.com (no path, no wildcard).`);
    }
    return o;
  });
  cors.done();
  return origins;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
