// The objects step: a call may name only upstream objects its caller owns, and what it creates upstream becomes theirs.
import type { Caller, CallContext, ObjectScope } from "../core/context.js";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import { notFoundOf, type Call } from "../core/operation.js";
import { required, type Step } from "../core/pipeline.js";
import { interceptStream, type Result } from "../core/results.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import type { ObjectStore, OwnedObject } from "./object-store.js";

export interface ObjectsStepOptions {
  readonly store: ObjectStore;
  /** The configured deployment with this gateway id (router lookup). */
  readonly deployment: (id: string) => Deployment | undefined;
  /** Best-effort removal upstream of an object whose owner could not be recorded. */
  readonly discard: (d: Deployment, id: string) => Promise<void>;
  /** How long Azure keeps a stored response (30 days). */
  readonly ttlMs: number;
  readonly logger: Logger;
}

/**
 * Every caller shares one Azure resource, so an upstream id is a capability. Another caller's id
 * (in the path or in the body) gets exactly the 404 an unknown id gets, before anything is sent
 * upstream; admins may name any. A new object's owner is written before the client can learn its
 * id, so a poll on another replica finds it.
 */
export function objectsStep(o: ObjectsStepOptions): Step {
  return {
    name: "objects",
    needs: ["caller"],
    gives: ["objects"],
    wrap: (next) => async (call, ctx) => {
      const caller = required(ctx.caller, "caller");
      // Most calls (chat, embeddings) name no object and create none: they pass straight through.
      const names = call.objectId !== undefined || call.references.length > 0;
      ctx.objects = names ? await scopeOf(o, call, caller) : NO_SCOPE;
      const result = await next(call, ctx);
      if (call.op.forgetsObject && call.objectId !== undefined) {
        await o.store.forget(call.objectId).catch((err: unknown) => o.logger.warn("objects.forget_failed", { request_id: ctx.requestId, ...errorFields(err) }));
      }
      return call.op.createsObjects ? ownNew(o, result, call, ctx, caller) : result;
    },
  };
}

const NO_SCOPE: ObjectScope = Object.freeze({ holder: undefined, resource: undefined });

async function scopeOf(o: ObjectsStepOptions, call: Call, caller: Caller): Promise<ObjectScope> {
  const named = call.objectId === undefined ? call.references : [call.objectId, ...call.references];
  const found = await o.store.find(named).catch((err: unknown) => {
    throw new GatewayError("unavailable", "The object store is unavailable; try again shortly.", { reason: "service_unavailable", cause: err });
  });
  const visible = (id: string): OwnedObject => {
    const obj = found.get(id);
    if (!obj || (!caller.admin && obj.userId !== caller.userId)) throw notFoundOf(call, id);
    return obj;
  };
  const holder = call.objectId === undefined ? undefined : visible(call.objectId).deploymentId;
  const resources = new Set<string>();
  for (const id of call.references) {
    const d = o.deployment(visible(id).deploymentId);
    if (!d) throw notFoundOf(call, id);
    resources.add(d.endpoint);
  }
  if (resources.size > 1) {
    throw new GatewayError("invalid_argument", "The objects this request references live on different Azure resources; no deployment can serve it.", {
      param: "previous_response_id",
      reason: "invalid_value",
    });
  }
  return { holder, resource: [...resources][0] };
}

/** A unary answer is released once its objects are on record; a stream's events wait for theirs. */
async function ownNew(o: ObjectsStepOptions, result: Result, call: Call, ctx: CallContext, caller: Caller): Promise<Result> {
  const served = ctx.deployment;
  if (!served) return result;
  const owned = (id: string, parent: string | undefined): OwnedObject => ({
    id,
    kind: id === parent ? "response" : "item",
    parentId: id === parent ? undefined : parent,
    userId: caller.userId,
    keyId: caller.keyId ?? "",
    deploymentId: served.id,
    expiresAt: new Date(Date.now() + o.ttlMs),
  });
  const recorded = new Set<string>();
  const record = async (ids: readonly string[], first: string | undefined): Promise<void> => {
    const fresh = ids.filter((id) => !recorded.has(id));
    if (fresh.length === 0) return;
    try {
      await o.store.record(fresh.map((id) => owned(id, first)));
    } catch (err) {
      o.logger.error("objects.record_failed", { request_id: ctx.requestId, ...errorFields(err) });
      if (first !== undefined) void o.discard(served, first).catch(() => undefined);
      throw new GatewayError("unavailable", "The response could not be recorded for its owner, so it was discarded; try again shortly.", {
        reason: "service_unavailable",
        cause: err,
      });
    }
    for (const id of fresh) recorded.add(id);
  };
  if (result.kind === "unary") {
    // Settled as it was returned: the object the answer shows, read once by the upstream call.
    const { object: state } = await result.settled;
    if (state?.stored) await record([state.id, ...state.itemIds], state.id);
    return result;
  }
  if (result.kind === "stream") {
    let first: string | undefined;
    return interceptStream(result, (e) => {
      if (e.reveals.length === 0) return;
      first ??= e.reveals[0];
      return record(e.reveals, first);
    });
  }
  return result;
}
