// Builds metering: the usage writer (batches, spool), prices, the token counter, retention.
import { join } from "node:path";
import type { Config } from "../config/config.js";
import type { Pricing } from "../core/ports.js";
import type { TokenCounter } from "../core/usage-estimate.js";
import { meteringStep, type Metering } from "../metering/metering-step.js";
import { applyRetention } from "../metering/partitions.js";
import { costOf } from "../metering/prices.js";
import { usageReport, type UsageQuery, type UsageReport } from "../metering/reports.js";
import { UsageWriter } from "../metering/writer.js";
import type { Database } from "../store/database.js";
import { errorFields, type Logger } from "../telemetry/logger.js";

export const pricing: Pricing = (d, usage) => costOf(d.model, usage, d.price);

// The o200k tables cost ~70 MB and half a second to load: only when a stream first ends without usage.
let estimator: Promise<typeof import("../metering/estimate.js")> | undefined;
const loadEstimator = () => (estimator ??= import("../metering/estimate.js"));

export const counter: TokenCounter = {
  promptTokens: async (body) => (await loadEstimator()).estimatePromptTokens(body),
  completionTokens: async (texts) => (await loadEstimator()).countTokens(texts),
};

export interface MeteringParts {
  readonly metering: Metering;
  readonly report: (q: UsageQuery) => Promise<UsageReport>;
  /** Waits for open streams, then writes (or spools) every record. */
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 3_600_000;

export async function startMetering(config: Config, db: Database, logger: Logger): Promise<MeteringParts> {
  const writer = new UsageWriter(db.sql, { spoolDir: config.metering.spoolDir ?? join(config.dataDir, "spool"), logger });
  // Replays what an earlier run spooled during an outage or crash.
  await writer.start();
  const metering = meteringStep({ record: (r) => writer.record(r), pricing, counter });
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
      await writer.close();
    },
  };
}
