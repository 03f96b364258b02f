// OpenTelemetry: Prometheus-format /metrics always; traces and pushed metrics through the standard OTEL_* variables.
import type { IncomingMessage, ServerResponse } from "node:http";
import { metrics as metricsApi } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { metrics, NodeSDK, tracing } from "@opentelemetry/sdk-node";

/** off: /metrics only. otlp: NodeSDK configured by OTEL_* (endpoint, headers, sampler...). console: print spans and metrics. */
export type TelemetryMode = "off" | "otlp" | "console";

export interface Telemetry {
  /** Serves the metrics in Prometheus text format. */
  serveMetrics(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

/** `metricIntervalMs`: how often metrics are pushed (otlp, console); NodeSDK reads OTEL_METRIC_EXPORT_INTERVAL only for readers it makes itself. */
export function startTelemetry(mode: TelemetryMode, metricIntervalMs?: number, serviceName = "ai-k"): Telemetry {
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  if (mode === "off") {
    const provider = new metrics.MeterProvider({ readers: [prometheus] });
    metricsApi.setGlobalMeterProvider(provider);
    return {
      serveMetrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
      shutdown: () => provider.shutdown(),
    };
  }
  const pushed =
    mode === "console"
      ? new metrics.PeriodicExportingMetricReader({ exporter: new metrics.ConsoleMetricExporter(), exportIntervalMillis: metricIntervalMs ?? 10_000 })
      : new metrics.PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: metricIntervalMs ?? 60_000,
          exportTimeoutMillis: Math.min(30_000, metricIntervalMs ?? 60_000),
        });
  const sdk = new NodeSDK({
    serviceName,
    metricReaders: [prometheus, pushed],
    // Explicit: no auto-instrumentation, whose spans would carry URLs and headers.
    instrumentations: [],
    ...(mode === "console" ? { traceExporter: new tracing.ConsoleSpanExporter() } : {}),
  });
  sdk.start();
  return {
    serveMetrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    shutdown: () => sdk.shutdown(),
  };
}
