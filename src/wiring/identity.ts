// Builds identity: store, key authentication, login guard, sessions, and the Admin and Auth services.
import { AdminServiceService } from "../../gen/aik/v1/admin.js";
import { AuthServiceService } from "../../gen/aik/v1/auth.js";
import { adminApi } from "../api/admin-api.js";
import { AUTH_OPEN_METHODS, authApi, type AuthApi } from "../api/auth-api.js";
import { deploymentsApi, type RoutingControl } from "../api/deployments-api.js";
import { limitStatusApi } from "../api/limit-status-api.js";
import type { OidcSignIn } from "../api/oidc-sign-in.js";
import { serviceAccountsApi } from "../api/service-accounts-api.js";
import { storedUsageApi } from "../api/stored-usage-api.js";
import { teamsApi } from "../api/teams-api.js";
import type { UnaryService } from "../api/unary-api.js";
import { usageCsv } from "../api/usage-api.js";
import { AdminCallers } from "../auth/admin-caller.js";
import { ApiKeyAuthenticator } from "../auth/api-key-authenticator.js";
import type { AuditSink } from "../auth/audit.js";
import { modelAccessStep } from "../auth/call-steps.js";
import { dispatchCredential } from "../auth/credential-dispatch.js";
import { localIdentityEvents, postgresIdentityEvents, type IdentityEventHandlers } from "../auth/identity-events.js";
import { JwtAuthenticator } from "../auth/jwt-authenticator.js";
import { LastUsedRecorder } from "../auth/last-used.js";
import { MemoryLoginGuard } from "../auth/login-guard.js";
import { LoginService } from "../auth/login.js";
import { OperatorToken } from "../auth/operator-token.js";
import { RedisLoginGuard } from "../auth/redis-login-guard.js";
import { ServiceAccountCache } from "../auth/service-accounts.js";
import { SessionService } from "../auth/sessions.js";
import type { Config } from "../config/config.js";
import type { CallContext, Caller } from "../core/context.js";
import type { Limits } from "../core/limits.js";
import type { Step } from "../core/pipeline.js";
import type { Limiter } from "../limits/limiter.js";
import type { UsageQuery, UsageReport } from "../metering/reports.js";
import { newestUsageRow } from "../metering/stored-record.js";
import type { RedisClient } from "../redis/connection.js";
import { ApiKeyStore } from "../store/api-keys.js";
import { AuditStore } from "../store/audit-events.js";
import type { Database } from "../store/database.js";
import { identityTransactions } from "../store/identity-tx.js";
import { SessionStore } from "../store/sessions.js";
import { TeamStore } from "../store/teams.js";
import { UserStore } from "../store/users.js";
import type { Logger } from "../telemetry/logger.js";
import { bootstrapAdmin, type Bootstrap } from "./bootstrap.js";
import { buildOidc, loginOptions } from "./oidc.js";

export interface Identity {
  /** The caller an API key names; every invalid key gets the same 401. */
  readonly authenticate: (credential: string | undefined) => Promise<Caller>;
  readonly modelAccess: Step;
  readonly services: readonly UnaryService[];
  /** AuthService's functions, for the console's cookie sessions (the same login, lockout and logout). */
  readonly auth: AuthApi;
  /** Single sign-on (auth.oidc), for the HTTP port's /v1/auth/oidc/ redirects; undefined when not configured. */
  readonly oidc: OidcSignIn | undefined;
  readonly users: UserStore;
  readonly keys: ApiKeyStore;
  /** The audit trail (a SIGHUP reload is recorded here too). */
  readonly audit: AuditSink;
  /** What the first start created (an admin and a key), to print once. */
  readonly bootstrap: Bootstrap | undefined;
  /** New configured default limits (a config reload). */
  setDefaultLimits(limits: Limits): void;
  close(): Promise<void>;
}

export async function startIdentity(
  config: Config,
  db: Database,
  redis: RedisClient | undefined,
  logger: Logger,
  usage: (q: UsageQuery) => Promise<UsageReport>,
  routing: RoutingControl,
  limiter: Limiter,
): Promise<Identity> {
  const users = new UserStore(db.sql);
  await fillCanonicalEmails(users, logger);
  const keys = new ApiKeyStore(db.sql);
  const teams = new TeamStore(db.sql);
  const audit = new AuditStore(db.sql);
  const sessions = new SessionService(new SessionStore(db.sql), config.auth.sessionTtlMs);
  const lastUsed = new LastUsedRecorder(keys, logger);
  const keyAuth = new ApiKeyAuthenticator(keys, lastUsed, config.auth.keyCache, config.limits.defaults);
  // Service accounts' JWTs (auth.jwt_issuers): verified locally against cached keys, the account cached like a key.
  const accounts = new ServiceAccountCache(users, config.auth.keyCache);
  const tokenAuth = config.auth.jwtIssuers.length > 0 ? new JwtAuthenticator(config.auth.jwtIssuers, accounts, config.limits.defaults, logger) : undefined;
  // The defaults keys are admitted with, for GetLimitStatus (a reload replaces them in both).
  let defaultLimits = config.limits.defaults;
  const handlers: IdentityEventHandlers = {
    onEvent: (e) => {
      if (e.kind === "user") accounts.forgetUser(e.id);
      return e.kind === "key" ? keyAuth.forgetKey(e.id) : e.kind === "team" ? keyAuth.forgetTeam(e.id) : keyAuth.forgetUser(e.id);
    },
    onResync: () => {
      keyAuth.forgetAll();
      accounts.forgetAll();
    },
  };
  // PGlite cannot deliver NOTIFY, but embedded mode is one process (its data directory is locked).
  const events = db.embedded ? localIdentityEvents(handlers) : await postgresIdentityEvents({ listen: db.listener, notify: db.sql }, handlers, logger);
  const guard = redis ? new RedisLoginGuard(redis, config.redis.keyPrefix, config.auth.lockout) : new MemoryLoginGuard(config.auth.lockout);
  const callers = new AdminCallers(new OperatorToken(config.auth.adminToken), sessions, users);
  const login = new LoginService(users, sessions, guard, audit);
  // Control-plane calls name their caller before any of the request is read (see UnaryService.authenticate).
  const authenticate = async (ctx: CallContext): Promise<void> => {
    await callers.of(ctx);
  };

  const transaction = identityTransactions(db.sql);
  const bootstrap = db.embedded || !config.auth.adminToken ? await bootstrapAdmin(users, keys) : undefined;
  const auth = authApi(login, callers, sessions, audit, loginOptions(config.auth.signIn));
  const oidc = buildOidc(config.auth.signIn, db.sql, sessions, events, audit);
  return {
    authenticate: dispatchCredential(keyAuth, tokenAuth),
    modelAccess: modelAccessStep(),
    services: [
      {
        name: "aik.v1.AdminService",
        definition: AdminServiceService,
        api: {
          ...adminApi({ callers, users, keys, teams, audit, transaction, guard, sessions, events, usage }),
          ...teamsApi({ callers, teams, transaction, events }),
          ...serviceAccountsApi({ callers, transaction, events }),
          ...deploymentsApi(callers, routing),
          ...limitStatusApi({ callers, users, keys, limiter, defaults: () => defaultLimits }),
          ...storedUsageApi(callers, (userId) => newestUsageRow(db.sql, userId)),
        },
        authenticate,
        open: [],
        csv: { getUsage: usageCsv },
      },
      {
        name: "aik.v1.AuthService",
        definition: AuthServiceService,
        api: auth,
        authenticate,
        open: AUTH_OPEN_METHODS,
      },
    ],
    auth,
    oidc,
    users,
    keys,
    audit,
    bootstrap,
    setDefaultLimits: (limits) => {
      defaultLimits = limits;
      keyAuth.setDefaultLimits(limits);
      tokenAuth?.setDefaultLimits(limits);
    },
    close: async () => {
      tokenAuth?.close();
      await events.close();
      await lastUsed.close();
    },
  };
}

/**
 * Rows from before migration 5 (or written meanwhile by an older replica) get their canonical
 * email before anyone can log in. A conflict means two old accounts now count as one address:
 * the older keeps it, and the operator is told which user ids to merge or rename.
 */
async function fillCanonicalEmails(users: UserStore, logger: Logger): Promise<void> {
  const { filled, conflicts } = await users.backfillCanonicalEmails();
  if (filled > 0) logger.info("auth.email_canonical_backfilled", { users: filled });
  if (conflicts.length > 0) logger.warn("auth.email_canonical_conflict", { users: conflicts.length, user_ids: conflicts.join(",") });
}
