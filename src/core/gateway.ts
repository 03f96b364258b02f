// The core's one entry point: both transports hand it a parsed call and get back a result of the kind they expect.
import type { CallContext } from "./context.js";
import { GatewayError } from "./errors.js";
import type { Call } from "./operation.js";
import { compose, type Step } from "./pipeline.js";
import { dispatch } from "./dispatch.js";
import type { Upstream } from "./ports.js";
import type { Result } from "./results.js";
import { routeStep, type Router } from "./router.js";

export interface Gateway {
  /** A stream result exactly when `call.stream`; a unary or local one otherwise. */
  run(call: Call, ctx: CallContext): Promise<Result>;
}

export interface GatewayParts {
  readonly router: Router;
  readonly upstream: Upstream;
  /** Run first, in order (telemetry, authentication, object ownership): an unauthenticated caller learns nothing about models. */
  readonly front?: readonly Step[];
  /** Run after routing, in order (model access, metering, limits), around the upstream call. */
  readonly policies?: readonly Step[];
}

/** Throws at start when the steps are misordered (see compose). */
export function createGateway(parts: GatewayParts): Gateway {
  const steps = [...(parts.front ?? []), routeStep(parts.router), ...(parts.policies ?? [])];
  const handle = compose(steps, dispatch(parts.upstream, parts.router));
  return {
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
