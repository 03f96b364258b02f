// The Upstream port over undici: one Pool per Azure origin, both URL styles, API key or Entra token, Azure errors mapped.
import { Pool, type Dispatcher } from "undici";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import { isObject } from "../core/json.js";
import type { UpstreamRequest } from "../core/operation.js";
import type { Upstream, UpstreamCallOptions, UpstreamStream, UpstreamUnary } from "../core/ports.js";
import type { UpstreamInfo } from "../core/results.js";
import type { Logger } from "../telemetry/logger.js";
import { AzureAuthHeaders } from "./azure-auth.js";
import { azureError, transportError } from "./azure-errors.js";
import { readBounded } from "./read-bounded.js";
import { upstreamPayload } from "./request-body.js";
import { sseEvents } from "./sse.js";
import type { TokenTiming } from "./entra-token.js";
import { endpointParts, upstreamPath } from "./urls.js";

export interface UpstreamOptions {
  /** Connections per Azure origin. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Until response headers; a unary completion sends them only when it is done. */
  readonly headersTimeoutMs: number;
  /** Longest silence between body chunks. */
  readonly bodyTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Largest unary response body accepted from Azure. */
  readonly maxResponseBytes: number;
  /** When Entra tokens are renewed and retried; undefined: the defaults (renew 5 minutes before expiry). */
  readonly entraTiming?: TokenTiming;
}

const MAX_ERROR_BODY = 64 * 1024;

/** What a deployment's requests need, worked out once: its origin's pool and the endpoint's path prefix. */
interface Target {
  readonly pool: Pool;
  readonly basePath: string;
}

export class AzureUpstream implements Upstream {
  private readonly pools = new Map<string, Pool>();
  // Keyed by the Deployment object (config and the router keep them for the process's life).
  private readonly targets = new WeakMap<Deployment, Target>();
  private readonly auth: AzureAuthHeaders;

  constructor(
    private readonly options: UpstreamOptions,
    logger: Logger,
  ) {
    this.auth = new AzureAuthHeaders(logger, options.entraTiming);
  }

  /** At start and after each reload: Entra tokens for these deployments are fetched now, those no longer used stop refreshing. */
  prepare(deployments: readonly Deployment[]): void {
    this.auth.prepare(deployments);
  }

  async unary(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<UpstreamUnary> {
    const res = await this.send(d, req, opts);
    try {
      const raw = await readBounded(res.body, this.options.maxResponseBytes);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        json = undefined;
      }
      if (!isObject(json)) {
        throw new GatewayError("bad_gateway", `Azure OpenAI sent an unreadable answer for deployment '${d.id}'.`, {
          reason: "upstream_bad_response",
        });
      }
      return { raw, json, info: infoOf(d, res.headers) };
    } catch (err) {
      throw transportError(err, d, opts.signal);
    }
  }

  async stream(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<UpstreamStream> {
    const res = await this.send(d, req, opts);
    const type = String(res.headers["content-type"] ?? "");
    if (!type.startsWith("text/event-stream")) {
      res.body.destroy();
      throw new GatewayError("bad_gateway", `Azure OpenAI did not answer with a stream for deployment '${d.id}'.`, {
        reason: "upstream_bad_response",
      });
    }
    // Not destroyed when the reader stops early (at [DONE]): release() decides, without an abort Error on a normal end.
    const events = sseEvents(res.body.iterator({ destroyOnReturn: false }));
    let released = false;
    return {
      info: infoOf(d, res.headers),
      events,
      close: (complete = false) => {
        if (released) return;
        released = true;
        release(res.body, complete);
      },
    };
  }

  async close(): Promise<void> {
    this.auth.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  private async send(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<Dispatcher.ResponseData> {
    const target = this.target(d);
    const payload = upstreamPayload(d, req);
    // Without a valid credential the request is refused here (503), never sent for Azure to answer 401.
    const pending = this.auth.headers(d);
    const credential = pending instanceof Promise ? await pending : pending;
    try {
      const res = await target.pool.request({
        method: req.method,
        path: upstreamPath(target.basePath, d, req),
        headers: {
          ...(payload !== null ? { "content-type": "application/json" } : {}),
          ...credential,
          "x-ms-client-request-id": opts.requestId,
        },
        body: payload,
        signal: opts.signal,
      });
      if (res.statusCode < 400) return res;
      const raw = await readBounded(res.body, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
      throw azureError(d, res.statusCode, res.headers, raw.toString("utf8"));
    } catch (err) {
      throw transportError(err, d, opts.signal);
    }
  }

  private target(d: Deployment): Target {
    let target = this.targets.get(d);
    if (!target) {
      const { origin, basePath } = endpointParts(d.endpoint);
      target = { pool: this.pool(origin), basePath };
      this.targets.set(d, target);
    }
    return target;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      const o = this.options;
      pool = new Pool(origin, {
        connections: o.connections,
        connectTimeout: o.connectTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

/** What may follow a stream's last event before its end; more, and the connection is not worth keeping. */
const MAX_REST_BYTES = 64 * 1024;

const ignore = (): void => undefined;

/**
 * A stream read to its last event has, normally, nothing left but its end: reading that keeps the
 * connection for the next request (aborting a body Azure has not finished closes its socket) and
 * makes no abort Error. Any other stream is aborted.
 */
function release(body: Dispatcher.ResponseData["body"], complete: boolean): void {
  if (body.destroyed || body.readableEnded) return;
  if (!complete) {
    body.destroy();
    return;
  }
  let rest = 0;
  // A failure while reading what is left (the body timeout) ends nothing anyone waits for.
  body.on("error", ignore);
  body.on("data", (chunk: Buffer) => {
    rest += chunk.length;
    if (rest > MAX_REST_BYTES) body.destroy();
  });
}

const HEADER_VALUE = /^[\x20-\x7e]{1,128}$/;

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s !== undefined && HEADER_VALUE.test(s) ? s : undefined;
}

function infoOf(d: Deployment, headers: Dispatcher.ResponseData["headers"]): UpstreamInfo {
  return {
    region: header(headers, "x-ms-region") ?? d.region,
    azureRequestId: header(headers, "apim-request-id"),
  };
}
