// Records which keys authenticated requests and writes last_used_at in one batch a minute, never per request.
import type { ApiKeyStore } from "../store/api-keys.js";
import { errorFields, type Logger } from "../telemetry/logger.js";

export class LastUsedRecorder {
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly logger: Logger,
    intervalMs = 60_000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  used(keyId: string): void {
    this.pending.add(keyId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.keys.touch(ids);
    } catch (err) {
      // Best effort: a lost last-use stamp is harmless, and the next use records it again.
      this.logger.warn("auth.last_used_failed", { keys: ids.length, ...errorFields(err) });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
