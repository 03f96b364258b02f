// Cache invalidation across replicas: a revoked key or a disabled user is forgotten everywhere within a second.
import type postgres from "postgres";
import { errorFields, type Logger } from "../telemetry/logger.js";

/** A team event: its limits changed, so every cached key of the team is looked up afresh. */
export type IdentityEvent = { readonly kind: "key" | "user" | "team"; readonly id: string };

export interface IdentityEventHandlers {
  onEvent(e: IdentityEvent): void;
  /** The channel (re)connected: notifications may have been missed, so forget everything cached. */
  onResync(): void;
}

export interface IdentityEvents {
  publish(e: IdentityEvent): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = "aik_identity";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parse(payload: string): IdentityEvent | undefined {
  const [kind, id] = payload.split(":");
  if ((kind !== "key" && kind !== "user" && kind !== "team") || !id || !UUID.test(id)) return undefined;
  return { kind, id };
}

/**
 * Where LISTEN and NOTIFY go. LISTEN needs a session that lasts, so behind PgBouncer in
 * transaction mode it is Postgres itself (database.listen_url); NOTIFY is an ordinary statement
 * and takes the pool.
 */
export interface NotifyChannel {
  readonly listen: postgres.Sql;
  readonly notify: postgres.Sql;
}

/** Postgres LISTEN/NOTIFY: every replica on the database hears every change. */
export async function postgresIdentityEvents(channel: NotifyChannel, handlers: IdentityEventHandlers, logger: Logger): Promise<IdentityEvents> {
  const listener = await channel.listen.listen(
    CHANNEL,
    (payload) => {
      const e = parse(payload);
      if (e) handlers.onEvent(e);
    },
    () => handlers.onResync(),
  );
  return {
    publish: async (e) => {
      // This replica acts at once; the notification tells the others (and this one again, harmlessly).
      handlers.onEvent(e);
      try {
        await channel.notify.notify(CHANNEL, `${e.kind}:${e.id}`);
      } catch (err) {
        logger.error("auth.notify_failed", { kind: e.kind, ...errorFields(err) });
        throw err;
      }
    },
    close: () => listener.unlisten(),
  };
}

/** One process, no channel: the embedded store serves a single instance. */
export function localIdentityEvents(handlers: IdentityEventHandlers): IdentityEvents {
  return {
    publish: async (e) => handlers.onEvent(e),
    close: async () => {},
  };
}
