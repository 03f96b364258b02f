// Builds upstream-object ownership: the store, the objects step, the expiry purge, and the upstream reads deferred metering needs.
import { newRequestId } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import type { OperationInput } from "../core/operation.js";
import type { Upstream } from "../core/ports.js";
import type { Router } from "../core/router.js";
import type { Step } from "../core/pipeline.js";
import type { Probe } from "../metering/deferred-usage.js";
import { ObjectStore } from "../objects/object-store.js";
import { objectsStep } from "../objects/objects-step.js";
import { responseState } from "../operations/responses/state.js";
import { deleteResponse, getResponse } from "../operations/responses/stored.js";
import type { Database } from "../store/database.js";
import { errorFields, type Logger } from "../telemetry/logger.js";

/** Azure keeps a stored response 30 days; its record here lives as long. */
const RESPONSE_TTL_MS = 30 * 24 * 3600_000;
const PURGE_EVERY_MS = 3_600_000;
// Reads the gateway makes on its own (the sweeper, a discard) wait at most this long.
const OWN_CALL_TIMEOUT_MS = 30_000;

export interface Objects {
  readonly step: Step;
  /** Reads a stored response upstream, for metering a background one nobody polled. */
  readonly probe: Probe;
  close(): void;
}

export function startObjects(db: Database, router: Router, upstream: Upstream, logger: Logger): Objects {
  const store = new ObjectStore(db.sql);
  const own = (responseId: string): OperationInput => ({ body: undefined, params: { response_id: responseId }, query: new URLSearchParams(), style: "openai" });
  const options = () => ({ signal: AbortSignal.timeout(OWN_CALL_TIMEOUT_MS), requestId: newRequestId() });

  const probe: Probe = async (objectId, deploymentId) => {
    const d = router.deployment(deploymentId);
    if (!d) return "gone";
    const call = getResponse.parse(own(objectId));
    try {
      const reply = await upstream.unary(d, getResponse.upstream(call, d), options());
      return responseState(reply.json) ?? "gone";
    } catch (err) {
      if (err instanceof GatewayError && err.reason === "upstream_deployment_not_found") return "gone";
      throw err;
    }
  };

  const step = objectsStep({
    store,
    deployment: (id) => router.deployment(id),
    discard: async (d, id) => {
      await upstream.unary(d, deleteResponse.upstream(deleteResponse.parse(own(id)), d), options());
    },
    ttlMs: RESPONSE_TTL_MS,
    logger,
  });

  const purge = (): void => {
    store.purgeExpired().then(
      (n) => n > 0 && logger.info("objects.expired", { purged: n }),
      (err: unknown) => logger.warn("objects.purge_failed", errorFields(err)),
    );
  };
  const timer = setInterval(purge, PURGE_EVERY_MS);
  timer.unref();
  return { step, probe, close: () => clearInterval(timer) };
}
