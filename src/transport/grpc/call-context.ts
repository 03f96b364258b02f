// A gRPC call's CallContext: credential from metadata, cancellation and deadline as one abort signal.
import { Metadata, type Deadline } from "@grpc/grpc-js";
import { createContext, newRequestId, type CallContext } from "../../core/context.js";
import { CallAbort } from "../call-abort.js";
import type { InFlight } from "../in-flight.js";
import { rateLimitHeaders } from "../rate-limit-headers.js";

export function credentialFromMetadata(metadata: Metadata): string | undefined {
  const auth = metadata.get("authorization")[0];
  if (auth === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(String(auth));
  return m?.[1] ?? "";
}

/** What a call's scope needs of it: grpc-js's unary calls have this surface, and so has a DirectCall. */
export interface CallEdge {
  readonly metadata: Metadata;
  /** True once the client went away, or the call ended. */
  readonly cancelled: boolean;
  getPeer(): string;
  getDeadline(): Deadline;
  sendMetadata(metadata: Metadata): void;
}

/**
 * One call's context and what its handler does at the edges of the call. A class, not closures:
 * a call that ends normally allocates the context, its CallAbort (no AbortController, as on HTTP) and one cancel listener.
 * With `inFlight`, the call is one a shutdown waits for, and ends as UNAVAILABLE at its deadline.
 */
export class GrpcCallScope {
  readonly ctx: CallContext;
  private readonly aborter = new CallAbort();
  private readonly answered: (() => void) | undefined;
  /** The deadline as Date.now() time; Infinity when the client set none. */
  private readonly deadlineAt: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private finished = false;
  private headersSent = false;

  constructor(
    private readonly call: CallEdge,
    inFlight?: InFlight,
  ) {
    this.answered = inFlight?.track(this.aborter);
    const deadline = call.getDeadline();
    this.deadlineAt = deadline instanceof Date ? deadline.getTime() : deadline;
    const bounded = Number.isFinite(this.deadlineAt);
    if (bounded) this.timer = setTimeout(() => this.aborter.abort(), Math.max(0, this.deadlineAt - Date.now()));
    this.ctx = createContext({
      requestId: newRequestId(),
      protocol: "grpc",
      signal: this.aborter,
      credential: credentialFromMetadata(call.metadata),
      peer: peerAddress(call.getPeer()),
      deadline: bounded ? performance.now() + (this.deadlineAt - Date.now()) : undefined,
    });
  }

  /** The client cancelled. grpc-js reports a finished call's stream closing the same way: only a live call is aborted. */
  readonly cancel = (): void => {
    if (!this.finished) this.aborter.abort();
  };

  /** True once the deadline passed (the abort was the deadline's, not the client's). */
  deadlineExceeded(): boolean {
    return Number.isFinite(this.deadlineAt) && Date.now() >= this.deadlineAt;
  }

  /** Sends x-request-id and the x-ratelimit-* report as initial metadata (once), before the first answer. */
  sendHeaders(): void {
    if (this.headersSent || this.call.cancelled) return;
    this.headersSent = true;
    const md = new Metadata();
    md.set("x-request-id", this.ctx.requestId);
    for (const [name, value] of rateLimitHeaders(this.ctx.rateLimit)) md.set(name, value);
    this.call.sendMetadata(md);
  }

  /** Clears the deadline timer; a cancel reported after this is the finished call's stream closing. Call when the handler finishes. */
  end(): void {
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.answered?.();
  }
}

/** The last peer parsed: a connection's calls share their peer, and the pattern below backtracks on every call. */
let lastPeer: { readonly peer: string; readonly address: string | undefined } | undefined;

/** grpc-js peers look like "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000": keep the address. */
export function peerAddress(peer: string): string | undefined {
  if (lastPeer?.peer === peer) return lastPeer.address;
  const address = /^(?:ipv4:|ipv6:)?\[?([^\]]+?)\]?(?::\d+)?$/.exec(peer)?.[1];
  lastPeer = { peer, address };
  return address;
}
