// An in-test OTLP/HTTP collector: accepts /v1/traces, /v1/metrics and /v1/logs and keeps every body it was sent.
import { createServer, type IncomingMessage } from "node:http";
import { gunzipSync } from "node:zlib";

export type OtlpSignal = "traces" | "metrics" | "logs";

export interface OtlpExport {
  readonly signal: OtlpSignal;
  readonly contentType: string;
  /** The body as the exporter meant it (gunzipped when it was sent compressed). */
  readonly body: Buffer;
}

export interface OtlpReceiver {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT: the exporters append /v1/<signal>. */
  readonly endpoint: string;
  readonly exports: readonly OtlpExport[];
  /** Requests to any other path: an exporter aiming somewhere unexpected shows up here instead of vanishing. */
  readonly strays: readonly string[];
  /** Resolves once some export of `signal` satisfies `pred`. */
  waitFor(signal: OtlpSignal, pred: (e: OtlpExport) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const PATHS: Readonly<Record<string, OtlpSignal>> = { "/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs" };

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: OtlpExport[] = [];
  const strays: string[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    void readAll(req).then((raw) => {
      const signal = PATHS[req.url ?? ""];
      const contentType = req.headers["content-type"] ?? "";
      if (req.method !== "POST" || signal === undefined) {
        strays.push(`${req.method ?? "?"} ${req.url ?? "?"}`);
        res.writeHead(404).end();
        return;
      }
      const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
      exports.push({ signal, contentType, body });
      for (const wake of waiters) wake();
      // An empty Export*ServiceResponse is "everything accepted" in both encodings.
      const json = contentType.includes("json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" }).end(json ? "{}" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the OTLP receiver has no TCP address");
  const port = address.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exports,
    strays,
    waitFor: (signal, pred, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!exports.some((e) => e.signal === signal && pred(e))) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no OTLP ${signal} export arrived in ${timeoutMs} ms (received: ${exports.map((e) => e.signal).join(", ") || "nothing"})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
