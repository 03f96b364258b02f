// One streamed exchange with Azure over undici's dispatch: the answer's chunks handed to one reader as they arrive, with backpressure.
import type { Dispatcher } from "undici";
import type { CallSignal } from "../core/context.js";
import { abortReason, abortedError, dispatchAbortable, listenAbort, type Unlisten } from "./exchange-abort.js";

export interface StreamAnswer {
  readonly statusCode: number;
  /** As undici read them: name, value, name, value... */
  readonly rawHeaders: readonly Buffer[];
  /**
   * The body's next chunk, for one reader, without an iterator: the chunk when it is held, `null` at
   * the body's end, or else a promise of either (one read waits at a time); throws, or rejects, with
   * the exchange's failure once the held chunks are read. A read costs one promise at most (sseBatches
   * reads so, with no generator between the socket and the relay). Reading no further does not end
   * the exchange: close does.
   */
  read(): Buffer | null | Promise<Buffer | null>;
  /**
   * Ends the exchange. Complete (the reader saw the stream's last event): what little may follow is
   * read and dropped so the connection serves the next request, up to `restBytes`; otherwise the
   * exchange is aborted and its connection closed.
   */
  close(complete: boolean): void;
}

/** Chunks held for a reader that has not asked yet; past this undici stops reading the socket until it asks. */
const HELD_CHUNKS = 4;

/**
 * Like exchangeUnary (see there for why not `pool.request()`), for a body read as it streams: no
 * body stream, async resource or parsed header object per answer. Resolves at the answer's headers.
 */
export function exchangeStream(pool: Dispatcher, options: Dispatcher.DispatchOptions, signal: CallSignal, restBytes: number): Promise<StreamAnswer> {
  return dispatchAbortable(pool, options, signal, (resolve, reject) => new StreamHandler(signal, restBytes, resolve, reject));
}

class StreamHandler implements Dispatcher.DispatchHandler {
  private abortExchange: ((err?: Error) => void) | undefined;
  private resumeSocket: (() => void) | undefined;
  private readonly held: Buffer[] = [];
  private paused = false;
  private ended = false;
  private failure: Error | undefined;
  /** The read waiting for the next chunk. */
  private waiting: { resolve(chunk: Buffer | null): void; reject(err: unknown): void } | undefined;
  private started = false;
  /** Set by close(): "rest" reads what follows and drops it, "gone" has aborted. */
  private closed: "rest" | "gone" | undefined;
  private rest = 0;
  private readonly unlisten: Unlisten;

  constructor(
    signal: CallSignal,
    private readonly restBytes: number,
    private readonly resolve: (answer: StreamAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.unlisten = listenAbort(signal, () => this.abort(abortReason(signal)));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortExchange = abort;
    if (this.failure) abort(this.failure);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.resumeSocket = resume;
    this.started = true;
    this.resolve({
      statusCode,
      rawHeaders,
      read: () => this.read(),
      close: (complete) => this.close(complete),
    });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.closed === "rest") {
      this.rest += chunk.length;
      if (this.rest > this.restBytes) this.abort(abortedError());
      return true;
    }
    if (this.closed === "gone") return true;
    this.held.push(chunk);
    this.wakeReader();
    if (this.held.length >= HELD_CHUNKS) this.paused = true;
    return !this.paused;
  }

  onComplete(): void {
    this.ended = true;
    this.unlisten();
    this.wakeReader();
  }

  onError(err: Error): void {
    this.failure ??= err;
    this.ended = true;
    this.unlisten();
    if (!this.started) this.reject(err);
    this.wakeReader();
  }

  private abort(err: Error): void {
    if (this.ended) return;
    this.failure ??= err;
    if (this.abortExchange) this.abortExchange(err);
    else if (!this.started) {
      // Not connected yet: undici aborts it at onConnect; the caller hears now.
      this.started = true;
      this.unlisten();
      this.reject(err);
    }
  }

  private close(complete: boolean): void {
    if (this.closed) return;
    this.held.length = 0;
    if (this.ended) return;
    this.closed = complete ? "rest" : "gone";
    if (complete) {
      this.resume();
      return;
    }
    this.abort(abortedError());
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeSocket?.();
  }

  private read(): Buffer | null | Promise<Buffer | null> {
    if (this.held.length > 0 || this.failure || this.ended || this.closed) return this.take();
    if (this.waiting) throw new Error("An upstream stream is read by one reader at a time.");
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** What a read gets now: a held chunk, else the failure, else the end. */
  private take(): Buffer | null {
    const chunk = this.held.shift();
    if (chunk !== undefined) {
      if (this.held.length === 0) this.resume();
      return chunk;
    }
    if (this.failure) throw this.failure;
    return null;
  }

  /** Hands the waiting read what came: a chunk, the end, or the failure. */
  private wakeReader(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    try {
      waiting.resolve(this.take());
    } catch (err) {
      waiting.reject(err);
    }
  }
}
