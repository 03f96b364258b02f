// One unary exchange with Azure over undici's dispatch: the answer's bytes collected as they arrive, its headers left raw.
import type { Dispatcher } from "undici";
import type { CallSignal } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { abortReason, dispatchAbortable, listenAbort, type Unlisten } from "./exchange-abort.js";

export interface UnaryAnswer {
  readonly statusCode: number;
  /** As undici read them: name, value, name, value... (see headerValue and headerObject). */
  readonly rawHeaders: readonly Buffer[];
  /** The whole body; an error answer's is empty when it ran past its bound. */
  readonly body: Buffer;
}

export interface UnaryBounds {
  /** Largest body of a successful answer: past it the exchange fails (upstream_response_too_large). */
  readonly answerBytes: number;
  /** Largest body of an error answer (status 400 and up): past it the body is dropped, the status still speaks. */
  readonly errorBytes: number;
}

/**
 * `pool.request()` wraps every answer in an async resource, a parsed header object and a body
 * stream, which a unary answer read whole into memory needs none of (about 5% of the gateway's
 * CPU per request in bench/README.md's profile). This handler keeps undici's connection
 * handling, timeouts and errors, and collects the chunks itself. The call's signal aborts the
 * exchange at any point, as `request()`'s does; what it rejects with goes through
 * transportError like any other failure.
 */
export function exchangeUnary(pool: Dispatcher, options: Dispatcher.DispatchOptions, signal: CallSignal, bounds: UnaryBounds): Promise<UnaryAnswer> {
  return dispatchAbortable(pool, options, signal, (resolve, reject) => new UnaryHandler(signal, bounds, resolve, reject));
}

const TOO_LARGE = "upstream_response_too_large";

/** undici's legacy handler interface: raw headers, chunks as they come, one onComplete or one onError. */
class UnaryHandler implements Dispatcher.DispatchHandler {
  private abortExchange: ((err?: Error) => void) | undefined;
  private statusCode = 0;
  private rawHeaders: Buffer[] = [];
  private readonly parts: Buffer[] = [];
  private size = 0;
  private bound = 0;
  private overflowed = false;
  private settled = false;
  private readonly unlisten: Unlisten;

  constructor(
    private readonly signal: CallSignal,
    private readonly bounds: UnaryBounds,
    private readonly resolve: (answer: UnaryAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.unlisten = listenAbort(signal, () => {
      const reason = abortReason(signal);
      if (this.abortExchange) this.abortExchange(reason);
      else this.finish(reason);
    });
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort(abortReason(this.signal));
    else this.abortExchange = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx answers (100 Continue) come before the real one.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    this.bound = statusCode >= 400 ? this.bounds.errorBytes : this.bounds.answerBytes;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size <= this.bound) {
      this.parts.push(chunk);
      return true;
    }
    // Aborting closes the connection (the rest of the body is never read) and ends in onError.
    this.overflowed = true;
    this.abortExchange?.(new GatewayError("bad_gateway", "Azure OpenAI sent a response larger than the gateway accepts.", { reason: TOO_LARGE }));
    return false;
  }

  onComplete(): void {
    const body = this.parts.length === 1 && this.parts[0] ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.finish(undefined, { statusCode: this.statusCode, rawHeaders: this.rawHeaders, body });
  }

  onError(err: Error): void {
    // An error answer too large to keep still speaks by its status, as an answer with no body.
    if (this.overflowed && this.statusCode >= 400) this.finish(undefined, { statusCode: this.statusCode, rawHeaders: this.rawHeaders, body: Buffer.alloc(0) });
    else this.finish(err);
  }

  private finish(err: unknown, answer?: UnaryAnswer): void {
    if (this.settled) return;
    this.settled = true;
    this.unlisten();
    if (answer) this.resolve(answer);
    else this.reject(err);
  }
}
