// A gRPC call's CallContext: credential from metadata, cancellation and deadline as one abort signal.
import { Metadata, type ServerUnaryCall } from "@grpc/grpc-js";
import { createContext, newRequestId, type CallContext } from "../../core/context.js";
import type { InFlight } from "../in-flight.js";
import { rateLimitHeaders } from "../rate-limit-headers.js";

export function credentialFromMetadata(metadata: Metadata): string | undefined {
  const auth = metadata.get("authorization")[0];
  if (auth === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(String(auth));
  return m?.[1] ?? "";
}

export interface GrpcCallScope {
  readonly ctx: CallContext;
  /** True once the deadline passed (the abort was the deadline's, not the client's). */
  deadlineExceeded(): boolean;
  /** Sends x-request-id and the x-ratelimit-* report as initial metadata (once), before the first answer. */
  sendHeaders(): void;
  /** Clears the deadline timer; call when the handler finishes. */
  end(): void;
}

/**
 * Unary and server-streaming calls share this surface (a request, metadata, cancel events). With
 * `inFlight`, the call is one a shutdown waits for, and ends as UNAVAILABLE at its deadline.
 */
export function contextFor(call: Omit<ServerUnaryCall<unknown, unknown>, "request">, inFlight?: InFlight): GrpcCallScope {
  const aborter = new AbortController();
  const answered = inFlight?.track(aborter);
  const requestId = newRequestId();
  let finished = false;
  // grpc-js may report "cancelled" as a finished call's stream closes: only a live call is aborted.
  call.on("cancelled", () => {
    if (!finished) aborter.abort();
  });
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(at)) timer = setTimeout(() => aborter.abort(), Math.max(0, at - Date.now()));
  let sent = false;
  const ctx = createContext({
    requestId,
    protocol: "grpc",
    signal: aborter.signal,
    credential: credentialFromMetadata(call.metadata),
    peer: peerAddress(call.getPeer()),
    deadline: Number.isFinite(at) ? performance.now() + (at - Date.now()) : undefined,
  });
  return {
    ctx,
    sendHeaders: () => {
      if (sent || call.cancelled) return;
      sent = true;
      const md = new Metadata();
      md.set("x-request-id", requestId);
      for (const [name, value] of rateLimitHeaders(ctx.rateLimit)) md.set(name, value);
      call.sendMetadata(md);
    },
    deadlineExceeded: () => Number.isFinite(at) && Date.now() >= at,
    end: () => {
      finished = true;
      clearTimeout(timer);
      answered?.();
    },
  };
}

/** grpc-js peers look like "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000": keep the address. */
export function peerAddress(peer: string): string | undefined {
  const m = /^(?:ipv4:|ipv6:)?\[?([^\]]+?)\]?(?::\d+)?$/.exec(peer);
  return m?.[1];
}
