// Builds metering: the usage writer (batches, spool), prices, the token counter, deferred usage of background responses, retention.
import { join } from "node:path";
import type { Config } from "../config/config.js";
import type { Deployment, Price } from "../core/deployments.js";
import type { Pricing } from "../core/ports.js";
import type { Router } from "../core/router.js";
import type { TokenCounter } from "../core/usage-estimate.js";
import { DeferredUsage, type Probe } from "../metering/deferred-usage.js";
import { meteringStep, type Metering } from "../metering/metering-step.js";
import { applyRetention } from "../metering/partitions.js";
import { costAt, priceFor } from "../metering/prices.js";
import { usageReport, type UsageQuery, type UsageReport } from "../metering/reports.js";
import { UsageWriter } from "../metering/writer.js";
import type { Database } from "../store/database.js";
import { errorFields, type Logger } from "../telemetry/logger.js";

// Limits and metering both price every call: a deployment's price (its model name trimmed, lower-cased
// and matched against the table) is looked up once per deployment object, whose fields never change.
const prices = new WeakMap<Deployment, Price | undefined>();

export const pricing: Pricing = (d, usage) => {
  if (!prices.has(d)) prices.set(d, priceFor(d.model, d.price));
  return costAt(prices.get(d), usage);
};

// The o200k tables cost ~70 MB and half a second to load: only when an answer first ends without usage.
let estimator: Promise<typeof import("../metering/estimate.js")> | undefined;
const loadEstimator = () => (estimator ??= import("../metering/estimate.js"));

export const counter: TokenCounter = {
  count: async (texts) => (await loadEstimator()).countTokens(texts),
};

export interface MeteringParts {
  readonly metering: Metering;
  readonly report: (q: UsageQuery) => Promise<UsageReport>;
  /** Waits for open streams, then writes (or spools) every record. */
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 3_600_000;
// A background response still unfinished after a day is recorded with its estimate.
const BACKGROUND_MAX_AGE_MS = 24 * 3600_000;

export async function startMetering(config: Config, db: Database, router: Router, probe: Probe, logger: Logger): Promise<MeteringParts> {
  const writer = new UsageWriter(db.sql, { spoolDir: config.metering.spoolDir ?? join(config.dataDir, "spool"), logger });
  // Replays what an earlier run spooled during an outage or crash.
  await writer.start();
  const record = writer.record.bind(writer);
  const deferred = new DeferredUsage(db.sql, {
    record,
    cost: (deploymentId, usage) => {
      const d = router.deployment(deploymentId);
      return d ? pricing(d, usage).costMicroUsd : 0;
    },
    logger,
    probe,
    sweepMs: config.metering.backgroundPollMs,
    maxAgeMs: BACKGROUND_MAX_AGE_MS,
  });
  deferred.startSweeper();
  const metering = meteringStep({
    record,
    pricing,
    counter,
    deferred,
    defaultMaxOutputTokens: config.limits.defaultMaxOutputTokens,
    logger,
  });
  const retention = async (): Promise<void> => {
    try {
      const { dropped } = await applyRetention(db.sql, config.metering.retentionDays, new Date());
      if (dropped.length > 0) logger.info("metering.retention", { dropped: dropped.length });
    } catch (err) {
      logger.warn("metering.retention_failed", errorFields(err));
    }
  };
  const timer = setInterval(() => void retention(), RETENTION_EVERY_MS);
  timer.unref();
  void retention();
  return {
    metering,
    report: (q) => usageReport(db.sql, q),
    close: async () => {
      clearInterval(timer);
      await metering.idle();
      await deferred.close();
      await writer.close();
    },
  };
}
