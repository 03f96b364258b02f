// A counter kept in the process reads, on /metrics, exactly as the SDK's own counter does; past its bound it counts on, in one overflow series.
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { LocalCounter } from "../../src/telemetry/local-counter.js";

async function scrape(exporter: PrometheusExporter): Promise<string> {
  const { resourceMetrics } = await exporter.collect();
  return new PrometheusSerializer().serialize(resourceMetrics);
}

describe("LocalCounter", () => {
  it("the same series, type and values as a sync counter given the same adds", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const meter = new MeterProvider({ readers: [exporter] }).getMeter("ai-k");
    const sync = meter.createCounter("aik.sync", { description: "d" });
    const local = new LocalCounter(meter, "aik.local", { description: "d" });
    for (const [outcome, n] of [["ok", 3], ["ok", 4], ["bad_gateway", 1]] as const) {
      sync.add(n, { op: "chat.completions", outcome });
      local.series(outcome, () => ({ op: "chat.completions", outcome })).value += n;
    }
    const text = await scrape(exporter);
    const lines = (name: string) => text.split("\n").filter((l) => l.includes(name)).map((l) => l.replace(name, "NAME"));
    expect(lines("aik_local_total")).toEqual(lines("aik_sync_total"));
    expect(lines("aik_local_total")).toContain('NAME{op="chat.completions",outcome="ok",otel_scope_name="ai-k"} 7');
  });

  it("past 1,999 series (2,000 with the overflow, as the SDK's limit), new combinations count in the overflow series: nothing is lost", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const local = new LocalCounter(new MeterProvider({ readers: [exporter] }).getMeter("ai-k"), "aik.c", { description: "d" });
    for (let i = 0; i < 2_005; i++) local.series(`k${i}`, () => ({ k: `k${i}` })).value += 1;
    expect(local.series("k0", () => ({ k: "k0" }))).not.toBe(local.series("k2004", () => ({ k: "k2004" })));
    const text = await scrape(exporter);
    expect(text).toContain('aik_c_total{otel_metric_overflow="true",otel_scope_name="ai-k"} 6');
    expect(text.split("\n").filter((l) => l.startsWith("aik_c_total")).length).toBe(2_000);
  });
});
