// The one typed, frozen configuration every module receives; nothing else reads process.env.
import type { Deployment } from "../core/deployments.js";
import type { WildcardTemplate } from "../core/router.js";
import type { RoutingOptions } from "../core/routing/options.js";
import type { UpstreamOptions } from "../upstream/azure-client.js";
import type { LockoutPolicy } from "../auth/login-guard.js";
import type { KeyCacheOptions } from "../auth/api-key-authenticator.js";
import type { Limits } from "../core/limits.js";
import type { LogLevel } from "../telemetry/logger.js";
import type { TelemetryMode } from "../telemetry/otel.js";
import type { ConsoleSettings } from "./console.js";
import type { SignInSettings } from "./oidc.js";
import type { JwtIssuer } from "./jwt-issuers.js";
import type { RedisServers } from "../redis/connection.js";

/** Where requests go: configured Azure deployments, env-only Azure, or the built-in emulator. */
export type UpstreamMode =
  | { readonly kind: "deployments"; readonly deployments: readonly Deployment[] }
  | { readonly kind: "env"; readonly wildcard: WildcardTemplate }
  | { readonly kind: "emulator" };

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The oldest protocol accepted. */
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
}

export interface Config {
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Largest request body accepted, checked while reading. */
  readonly maxBodyBytes: number;
  /** Production mode sends Strict-Transport-Security even without TLS here (TLS ends at a proxy). */
  readonly production: boolean;
  readonly tls: TlsFiles | undefined;
  readonly mode: UpstreamMode;
  /** How a model's pool picks a member and when it stops trusting one. */
  readonly routing: RoutingOptions;
  /** Client-facing names for a model's pool: { alias: model }. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly upstream: UpstreamOptions;
  /** How long a graceful shutdown waits for in-flight requests. */
  readonly shutdownGraceMs: number;
  /** After SIGTERM, how long the listeners keep accepting while readiness reports false (a load balancer's notice). */
  readonly shutdownDelayMs: number;
  /** Longest time to receive a request's headers. */
  readonly headersTimeoutMs: number;
  /** Longest time to receive a whole request, body included (408 after it). */
  readonly requestTimeoutMs: number;
  /** Browser origins allowed to call the HTTP API (CORS); empty: CORS off. */
  readonly corsOrigins: readonly string[];
  /** The web console at /console on the HTTP port (AIK_CONSOLE, AIK_CONSOLE_DIR). */
  readonly console: ConsoleSettings;
  readonly database: {
    /** DATABASE_URL; undefined: embedded PGlite under `dataDir`. */
    readonly url: string | undefined;
    /**
     * DATABASE_LISTEN_URL: a direct (unpooled) connection for LISTEN, when `url` goes through a
     * transaction-pooling PgBouncer; setting it also turns named prepared statements off on `url`.
     * undefined: LISTEN on `url`, as without a pooler.
     */
    readonly listenUrl: string | undefined;
    readonly maxConnections: number;
  };
  /** Where zero-config mode keeps its embedded database (and the metering spool). */
  readonly dataDir: string;
  readonly redis: {
    /** REDIS_MODE with REDIS_URL (or REDIS_SENTINELS); undefined: in-process limits and lockout (single instance only). */
    readonly servers: RedisServers | undefined;
    readonly keyPrefix: string;
    readonly commandTimeoutMs: number;
  };
  readonly auth: {
    /** AIK_ADMIN_TOKEN: the operator's token for the AdminService. */
    readonly adminToken: string | undefined;
    readonly sessionTtlMs: number;
    readonly keyCache: KeyCacheOptions;
    readonly lockout: LockoutPolicy;
    /** auth.password_login and auth.oidc (single sign-on). */
    readonly signIn: SignInSettings;
    /** auth.jwt_issuers: whose JWTs a service account may call with instead of an aik_ key (empty: keys only). */
    readonly jwtIssuers: readonly JwtIssuer[];
  };
  readonly limits: {
    /** Per-user limits where a user sets none; undefined fields are unlimited. */
    readonly defaults: Limits;
    /** Spend at this share of a budget logs a warning (the cap itself is hard). */
    readonly softBudgetPercent: number;
    /** Redis unreachable: true keeps serving with in-process limits, false answers 503. */
    readonly failOpen: boolean;
    /** The output estimate reserved for requests that set no max tokens. */
    readonly defaultMaxOutputTokens: number;
    /** How often metering's month-to-date spend is pushed into the limiter's budget counters. */
    readonly budgetSyncMs: number;
  };
  readonly logLevel: LogLevel;
  readonly metering: {
    /** Raw usage records older than this are dropped (whole monthly partitions); daily rollups stay. */
    readonly retentionDays: number;
    /** Where records go while Postgres is unreachable; undefined: <dataDir>/spool. */
    readonly spoolDir: string | undefined;
    /** How often background responses no client has polled to the end are read, to meter them. */
    readonly backgroundPollMs: number;
  };
  /** off: /metrics only; otlp: OTEL_* variables configure the exporters; console: print spans and metrics. */
  readonly telemetry: TelemetryMode;
  /** How often metrics are pushed (OTEL_METRIC_EXPORT_INTERVAL, the SDK's variable); undefined: 60 s over OTLP, 10 s to the console. */
  readonly metricExportIntervalMs: number | undefined;
  /** Proxies in front that append to X-Forwarded-For: the client address is that many entries from its right (0: the socket's). */
  readonly trustedProxies: number;
  /** Startup notes worth a warning (plain http endpoints and the like). */
  readonly warnings: readonly string[];
}
