// The data plane's model allow-list step: a key limited to some models calls only those.
import { GatewayError } from "../core/errors.js";
import { mayUse } from "../core/model-access.js";
import { required, type Step } from "../core/pipeline.js";

/**
 * Runs after routing: a key limited to some models may call only those (by the name asked for or
 * the model the deployment serves). The catalog filters itself by the same rule; objects are
 * guarded by ownership instead.
 */
export function modelAccessStep(): Step {
  return {
    name: "model access",
    needs: ["caller", "targets"],
    gives: [],
    wrap: (next) => async (call, ctx) => {
      const caller = required(ctx.caller, "caller");
      if (call.op.kind !== "model" || call.model === undefined) return next(call, ctx);
      const served = ctx.targets[0]?.model;
      if (!mayUse(caller, call.model) && (served === undefined || !mayUse(caller, served))) {
        throw new GatewayError("permission_denied", `This API key may not use the model '${call.model}'.`, {
          param: "model",
          reason: "model_not_allowed",
        });
      }
      return next(call, ctx);
    },
  };
}
