// The data plane's identity steps: an API key per request, then the key's model allow-list.
import { GatewayError } from "../core/errors.js";
import { modelOf, type Step } from "../core/pipeline.js";
import type { ApiKeyAuthenticator } from "./api-key-authenticator.js";

/** Runs before routing, so an unauthenticated caller learns nothing about which models exist. */
export function authenticateStep(keys: ApiKeyAuthenticator): Step {
  return (next) => async (call, ctx) => {
    ctx.caller = await keys.authenticate(ctx.credential);
    return next(call, ctx);
  };
}

/** Runs after routing: a key limited to some models may call only those, and lists only those. */
export function modelAccessStep(): Step {
  return (next) => async (call, ctx) => {
    const allowed = ctx.caller?.allowedModels ?? [];
    if (allowed.length === 0) return next(call, ctx);
    if (call.op === "models") {
      const result = await next(call, ctx);
      return result.kind === "models" ? { ...result, models: result.models.filter((m) => allowed.includes(m.id)) } : result;
    }
    const requested = modelOf(call) ?? "";
    const served = ctx.targets[0]?.model;
    if (!allowed.includes(requested) && (served === undefined || !allowed.includes(served))) {
      throw new GatewayError("permission_denied", `This API key may not use the model '${requested}'.`, {
        param: "model",
        reason: "model_not_allowed",
      });
    }
    return next(call, ctx);
  };
}
