// The transport-neutral context of one call: identity, cancellation, and what steps report back.
import { randomFillSync } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { Deployment } from "./deployments.js";
import type { CallerLimits } from "./limits.js";

export type Protocol = "http" | "grpc";

/** A call's cancellation without an AbortSignal: emits "abort" once, with the same two fields (undici takes either). */
export interface AbortEmitter extends EventEmitter {
  readonly aborted: boolean;
  /** Why it was aborted (ShuttingDown at a shutdown's deadline), when a reason was given. */
  readonly reason: unknown;
}

/** What the core reads of cancellation, and what it hands the upstream client to follow. */
export type CallSignal = AbortSignal | AbortEmitter;

/** Who is calling, once the auth step has accepted the credential. */
export interface Caller {
  readonly userId: string;
  /**
   * The API key presented; undefined for a service account calling with its issuer's JWT (no key:
   * no key limits, and its usage rows carry an empty key_id).
   */
  readonly keyId: string | undefined;
  /** The key's owner is an admin: may name any caller's upstream objects. */
  readonly admin: boolean;
  /** Models the key may call; empty means every model. */
  readonly allowedModels: readonly string[];
  /**
   * The user's effective limits and the key's own overrides. A key inherits its user's limits,
   * and its requests count against the user too, so an unset key field needs no check of its own.
   */
  readonly limits: CallerLimits;
  /** A team key's team: its requests count against the team's limits (limits.team) as well. */
  readonly teamId?: string | undefined;
}

/** One rate-limit dimension's state, reported back to the client as x-ratelimit-* headers. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
}

export interface RateLimitReport {
  readonly requests?: RateLimitState;
  readonly tokens?: RateLimitState;
}

export interface CallContext {
  /** The gateway's own id for this request: unique, sent back as x-request-id. */
  readonly requestId: string;
  readonly protocol: Protocol;
  /** Aborted when the client goes away or its deadline passes; upstream calls follow it. */
  readonly signal: CallSignal;
  /** The raw credential the client presented; only the auth step reads it. */
  readonly credential: string | undefined;
  /** The client's network address (for login throttling); never logged. */
  readonly peer: string | undefined;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Set by the auth step. */
  caller: Caller | undefined;
  /** Set by the objects step: where the upstream objects the call names live. */
  objects: ObjectScope | undefined;
  /** Set by the routing step: the deployments to try, in order. */
  targets: readonly Deployment[];
  /** Set by the upstream call: the deployment that answered, or the last one tried. */
  deployment: Deployment | undefined;
  /** Upstream attempts made (the first and each failover). */
  attempts: number;
  /** performance.now() by which the caller wants its answer (a gRPC deadline, an HTTP client's timeout header); failovers stop short of it. */
  readonly deadline: number | undefined;
  /** Set by the limits step. */
  rateLimit: RateLimitReport | undefined;
}

/** The upstream objects a call names, once ownership is checked. */
export interface ObjectScope {
  /** The gateway deployment whose Azure resource holds the object the path names (object operations). */
  readonly holder: string | undefined;
  /** The Azure resource (endpoint) every referenced object lives on: the call must be served there. */
  readonly resource: string | undefined;
}

export interface ContextInit {
  readonly requestId: string;
  readonly protocol: Protocol;
  readonly signal: CallSignal;
  readonly credential: string | undefined;
  readonly peer: string | undefined;
  readonly deadline?: number | undefined;
}

export function createContext(init: ContextInit): CallContext {
  return {
    deadline: undefined,
    ...init,
    attempts: 0,
    startedAt: performance.now(),
    caller: undefined,
    objects: undefined,
    targets: [],
    deployment: undefined,
    rateLimit: undefined,
  };
}

/**
 * The gRPC door turns every answer and stream event into a message, so it reads each one parsed;
 * the HTTP door sends Azure's text, so what the gateway needs nothing from may go unparsed.
 */
export function readsParsed(ctx: CallContext): boolean {
  return ctx.protocol === "grpc";
}

/** Random bytes for request ids, filled 256 ids at a time: one call into the CSPRNG per 256 requests. */
const ID_BYTES = 16;
const idPool = Buffer.alloc(ID_BYTES * 256);
let idOffset = idPool.length;

/** A unique request id in OpenAI's style ("req_" + 32 hex digits, 128 random bits). */
export function newRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString("hex", idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return `req_${id}`;
}
