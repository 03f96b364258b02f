// Responses kept for retrieve, cancel, delete, input_items and chaining: bounded, oldest evicted first.
import type { JsonObject } from "./json-body.js";
import type { ResponseRun, ResponseView, TokenUsage } from "./responses-run.js";
import type { TimedFrame } from "./stream-writer.js";

export class StoredResponse {
  private cancelledAt: number | undefined;
  private readonly cancelListeners = new Set<() => void>();
  private settle: { timer: NodeJS.Timeout; then: (usage: TokenUsage) => void } | undefined;

  constructor(
    readonly run: ResponseRun,
    readonly deployment: string,
    /** Held in memory only, like request bodies: served back by input_items, never logged. */
    readonly inputItems: readonly JsonObject[],
    /** Background responses only: what a `?stream=true` retrieve replays. */
    readonly events: readonly TimedFrame[] | undefined,
    private readonly timers: Set<NodeJS.Timeout>,
  ) {}

  get background(): boolean {
    return this.run.meta.background;
  }

  /** Nothing generated after this moment is ever shown. */
  get cutoff(): number {
    return this.cancelledAt ?? Infinity;
  }

  view(now = Date.now()): ResponseView {
    return this.run.viewAt(now, this.cancelledAt);
  }

  /** What chaining onto this response costs: its input and output as they stand, or as they will be. */
  billedTokens(): number {
    const usage = this.view().usage ?? this.run.finalUsage;
    return usage.input + usage.output;
  }

  /** Calls `then` with the usage once the run ends on its clock, or at once if it is cancelled first. */
  settleWith(then: (usage: TokenUsage) => void): void {
    const final = this.run.finalUsage;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settle = undefined;
      then(final);
    }, Math.max(0, this.run.finishAt - Date.now()));
    // A pending run must not keep a test process alive.
    timer.unref();
    this.timers.add(timer);
    this.settle = { timer, then };
  }

  /** A no-op once the run has ended or was already cancelled. */
  cancel(now = Date.now()): void {
    if (this.cancelledAt !== undefined || now >= this.run.finishAt) return;
    this.cancelledAt = now;
    const usage = this.view(now).usage;
    if (this.settle) {
      clearTimeout(this.settle.timer);
      this.timers.delete(this.settle.timer);
      if (usage) this.settle.then(usage);
      this.settle = undefined;
    }
    for (const listener of this.cancelListeners) listener();
  }

  /** Returns the unsubscribe. */
  onCancel(listener: () => void): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }
}

export class ResponseStore {
  private readonly entries = new Map<string, StoredResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly capacity = 10_000) {}

  add(run: ResponseRun, deployment: string, inputItems: readonly JsonObject[], events: readonly TimedFrame[] | undefined): StoredResponse {
    const stored = new StoredResponse(run, deployment, inputItems, events, this.timers);
    this.entries.set(run.meta.id, stored);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return stored;
  }

  get(id: string): StoredResponse | undefined {
    return this.entries.get(id);
  }

  delete(id: string): boolean {
    return this.entries.delete(id);
  }

  /** Stops pending settlements when the emulator closes. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
