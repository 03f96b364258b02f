// The core's one entry point: both transports hand it a parsed call and get back a result of the kind they expect.
import type { Caller, CallContext } from "./context.js";
import { GatewayError } from "./errors.js";
import type { Call } from "./operation.js";
import { compose, type Step } from "./pipeline.js";
import { dispatch, type AttemptObserver } from "./dispatch.js";
import type { Upstream } from "./ports.js";
import type { Result } from "./results.js";
import { routeStep, type Router } from "./router.js";

export interface Gateway {
  /**
   * Checks the credential and sets `ctx.caller`. Front doors call it before they read or parse
   * anything a client sent beyond its headers: an unauthenticated caller gets no body work.
   */
  authenticate(ctx: CallContext): Promise<void>;
  /** A stream result exactly when `call.stream`; a unary or local one otherwise. */
  run(call: Call, ctx: CallContext): Promise<Result>;
}

export interface GatewayParts {
  readonly router: Router;
  readonly upstream: Upstream;
  /** The caller a credential names; throws the 401 every invalid one gets. */
  readonly authenticate: (credential: string | undefined) => Promise<Caller>;
  /** Run first, in order (telemetry), before the caller step and object ownership. */
  readonly front?: readonly Step[];
  /** Run after the caller is known and before routing (object ownership: it decides where an object call goes). */
  readonly objects?: readonly Step[];
  /** Run after routing, in order (model access, metering, limits), around the upstream call. */
  readonly policies?: readonly Step[];
  /** Hears of every upstream attempt and failover (telemetry). */
  readonly observer?: AttemptObserver;
}

/**
 * The caller step gives "caller" to the chain. Front doors have normally authenticated already
 * (before reading the body); for a call they did not, it authenticates here, so no order of
 * calls can reach limits or metering without a caller.
 */
function callerStep(authenticate: (ctx: CallContext) => Promise<void>): Step {
  return {
    name: "authenticate",
    needs: [],
    gives: ["caller"],
    wrap: (next) => async (call, ctx) => {
      // Most calls arrive authenticated by their front door: no await for them.
      if (!ctx.caller) await authenticate(ctx);
      return next(call, ctx);
    },
  };
}

/** Throws at start when the steps are misordered (see compose). */
export function createGateway(parts: GatewayParts): Gateway {
  const authenticate = async (ctx: CallContext): Promise<void> => {
    ctx.caller ??= await parts.authenticate(ctx.credential);
  };
  const steps = [...(parts.front ?? []), callerStep(authenticate), ...(parts.objects ?? []), routeStep(parts.router), ...(parts.policies ?? [])];
  const handle = compose(steps, dispatch(parts.upstream, parts.router, parts.observer));
  return {
    authenticate,
    run: async (call, ctx) => {
      const result = await handle(call, ctx);
      if ((result.kind === "stream") !== call.stream) {
        if (result.kind === "stream") result.close();
        throw new GatewayError("internal", "The gateway produced a result of the wrong kind.");
      }
      return result;
    },
  };
}
