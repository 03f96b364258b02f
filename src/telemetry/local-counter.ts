// Monotonic counters kept in this process and read at collection: an add is one addition, not the SDK's hashing of its attributes.
import type { Attributes, Meter, MetricOptions, ObservableResult } from "@opentelemetry/api";

/** One label combination's count. */
export interface Series {
  value: number;
}

interface Entry extends Series {
  readonly attributes: Attributes;
}

/**
 * Series one counter may hold, with the overflow series OpenTelemetry's own cardinality limit
 * (2,000) for a sync counter: labels are bounded already, so this only keeps a bug from growing it.
 */
const MAX_SERIES = 1_999;
const OVERFLOW: Attributes = Object.freeze({ "otel.metric.overflow": true });

/**
 * An OpenTelemetry counter whose values live here: the SDK's sync counter hashes its attribute
 * object (sorting and writing out its keys) on every add, a few microseconds each; here a call site
 * holds its series, found once per label combination, and adds to it. The metric reader observes
 * every series at collection, so /metrics and OTLP see the same monotonic sum a sync counter gives.
 */
export class LocalCounter {
  private readonly entries = new Map<string, Entry>();
  private overflow: Entry | undefined;

  constructor(meter: Meter, name: string, options: MetricOptions) {
    meter.createObservableCounter(name, options).addCallback((result: ObservableResult) => {
      for (const e of this.entries.values()) result.observe(e.value, e.attributes);
      if (this.overflow) result.observe(this.overflow.value, this.overflow.attributes);
    });
  }

  /** The series for `key` (made from `attributes` the first time; past the bound, the overflow series). */
  series(key: string, attributes: () => Attributes): Series {
    let entry = this.entries.get(key);
    if (entry) return entry;
    if (this.entries.size >= MAX_SERIES) return (this.overflow ??= { value: 0, attributes: OVERFLOW });
    entry = { value: 0, attributes: Object.freeze(attributes()) };
    this.entries.set(key, entry);
    return entry;
  }
}
