// One request in flight: its record, its timers, and the ways it can be answered.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { RequestRecord } from "./api.js";
import { Pacer } from "./pacer.js";
import { answerHeaders, FULL_QUOTA, type Origin, type Remaining } from "./wire-headers.js";
import type { WireError } from "./wire-errors.js";

export class Exchange {
  readonly pacer = new Pacer();
  /** Set once the deployment is known, so headers name its region. */
  origin: Origin;
  /** True when the emulator itself tore the connection down (fault), which is not a client abort. */
  private selfReset = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly record: RequestRecord | undefined,
    defaultOrigin: Origin,
  ) {
    this.origin = defaultOrigin;
    const correlation = req.headers["x-ms-client-request-id"];
    if (this.record && typeof correlation === "string" && /^[\w.-]{1,128}$/.test(correlation)) this.record.clientRequestId = correlation;
    res.on("close", () => {
      this.pacer.stop();
      if (this.record && !res.writableFinished && !this.selfReset) this.record.aborted = true;
    });
  }

  get gone(): boolean {
    return this.pacer.stopped || this.res.destroyed;
  }

  head(status: number, contentType: string, remaining: Remaining, extra?: Readonly<Record<string, string>>, length?: number): void {
    const headers: OutgoingHttpHeaders = answerHeaders(contentType, this.origin, remaining);
    if (extra) Object.assign(headers, extra);
    if (length !== undefined) headers["content-length"] = length;
    this.res.writeHead(status, headers);
    if (this.record) this.record.status = status;
  }

  json(status: number, body: string, remaining: Remaining = FULL_QUOTA, extra?: Readonly<Record<string, string>>): void {
    if (this.gone) return;
    this.head(status, "application/json", remaining, extra, Buffer.byteLength(body));
    this.res.end(body);
  }

  error(err: WireError, remaining: Remaining = FULL_QUOTA): void {
    this.json(err.status, err.body, remaining, err.headers);
  }

  noContent(): void {
    if (this.gone) return;
    this.head(204, "application/json", FULL_QUOTA);
    this.res.end();
  }

  /** Tears the TCP connection down without an answer, as a failing Azure frontend does. */
  reset(): void {
    this.selfReset = true;
    this.res.socket?.destroy();
  }

  /** Marks a teardown the stream writer is about to do itself. */
  resetting(): void {
    this.selfReset = true;
  }
}
