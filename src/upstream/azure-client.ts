// The Upstream port over undici: one Pool per Azure origin, both URL styles, API key or Entra token, Azure errors mapped.
import { Pool, type Dispatcher } from "undici";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import { isObject, type JsonObject } from "../core/json.js";
import type { UpstreamRequest } from "../core/operation.js";
import type { Upstream, UpstreamCallOptions, UpstreamStream, UpstreamUnary } from "../core/ports.js";
import type { UpstreamInfo } from "../core/results.js";
import type { Logger } from "../telemetry/logger.js";
import { AzureAuthHeaders } from "./azure-auth.js";
import { azureError, transportError } from "./azure-errors.js";
import { exchangeStream, type StreamAnswer } from "./stream-exchange.js";
import { headerObject, headerValue } from "./raw-headers.js";
import { exchangeUnary } from "./unary-exchange.js";
import { upstreamPayload } from "./request-body.js";
import { sseBatches } from "./sse.js";
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
    const { pool, dispatch } = await this.requestFor(d, req, opts);
    let answer;
    try {
      answer = await exchangeUnary(pool, dispatch, opts.signal, { answerBytes: this.options.maxResponseBytes, errorBytes: MAX_ERROR_BODY });
    } catch (err) {
      throw transportError(err, d, opts.signal);
    }
    const { statusCode, rawHeaders, body } = answer;
    if (statusCode >= 400) throw azureError(d, statusCode, headerObject(rawHeaders), body.toString("utf8"));
    return new AzureAnswer(d, body, infoFrom(d, rawHeaders));
  }

  async stream(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<UpstreamStream> {
    const { pool, dispatch } = await this.requestFor(d, req, opts);
    let answer;
    try {
      answer = await exchangeStream(pool, dispatch, opts.signal, MAX_REST_BYTES);
    } catch (err) {
      throw transportError(err, d, opts.signal);
    }
    const { statusCode, rawHeaders } = answer;
    if (statusCode >= 400) {
      const raw = await readAll(answer, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
      answer.close(false);
      throw azureError(d, statusCode, headerObject(rawHeaders), raw.toString("utf8"));
    }
    if (!(headerValue(rawHeaders, "content-type") ?? "").startsWith("text/event-stream")) {
      answer.close(false);
      throw new GatewayError("bad_gateway", `Azure OpenAI did not answer with a stream for deployment '${d.id}'.`, {
        reason: "upstream_bad_response",
      });
    }
    // Stopping at [DONE] ends nothing: close() decides whether the connection is kept, without an abort Error on a normal end.
    return {
      info: infoFrom(d, rawHeaders),
      events: sseBatches(answer),
      close: (complete = false) => answer.close(complete),
    };
  }

  async close(): Promise<void> {
    this.auth.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  /** The deployment's pool and the request to send it: path, Azure's credential, the payload. */
  private async requestFor(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<{ pool: Pool; dispatch: Dispatcher.DispatchOptions }> {
    const target = this.target(d);
    const payload = upstreamPayload(d, req);
    // Without a valid credential the request is refused here (503), never sent for Azure to answer 401.
    const pending = this.auth.headers(d);
    const credential = pending instanceof Promise ? await pending : pending;
    return {
      pool: target.pool,
      dispatch: {
        method: req.method,
        path: upstreamPath(target.basePath, d, req),
        headers: {
          ...(payload !== null ? { "content-type": "application/json" } : {}),
          ...credential,
          "x-ms-client-request-id": opts.requestId,
        },
        body: payload,
      },
    };
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

/** A unary answer: its bytes, and their parse when first asked for (HTTP may forward the bytes unparsed). */
class AzureAnswer implements UpstreamUnary {
  private parsed: JsonObject | undefined;

  constructor(
    private readonly d: Deployment,
    readonly raw: Buffer,
    readonly info: UpstreamInfo,
  ) {}

  /** Throws bad_gateway when the answer is not a JSON object. */
  get json(): JsonObject {
    if (this.parsed) return this.parsed;
    let json: unknown;
    try {
      json = JSON.parse(this.raw.toString("utf8"));
    } catch {
      json = undefined;
    }
    if (!isObject(json)) {
      throw new GatewayError("bad_gateway", `Azure OpenAI sent an unreadable answer for deployment '${this.d.id}'.`, {
        reason: "upstream_bad_response",
      });
    }
    return (this.parsed = json);
  }
}

/** What may follow a stream's last event before its end; more, and the connection is not worth keeping. */
const MAX_REST_BYTES = 64 * 1024;

/** Reads a body to its end, refusing more than `max` bytes (an error answer's, for its code). */
async function readAll(answer: StreamAnswer, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for (let chunk = await answer.read(); chunk !== null; chunk = await answer.read()) {
    size += chunk.length;
    if (size > max) throw new Error("The error answer is larger than the gateway reads.");
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

const HEADER_VALUE = /^[\x20-\x7e]{1,128}$/;

/** A header value the gateway repeats (in metering and logs): short printable ASCII, or nothing. */
function checked(s: string | undefined): string | undefined {
  return s !== undefined && HEADER_VALUE.test(s) ? s : undefined;
}

function infoFrom(d: Deployment, rawHeaders: readonly Buffer[]): UpstreamInfo {
  return {
    region: checked(headerValue(rawHeaders, "x-ms-region")) ?? d.region,
    azureRequestId: checked(headerValue(rawHeaders, "apim-request-id")),
  };
}
