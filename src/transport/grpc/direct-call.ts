// Data-plane calls served on grpc-js's own call: each stream event goes out as it comes, a unary answer's status right after it.
import { Metadata, ServerInterceptingCall, status, type Deadline, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";

/*
 * grpc-js hands a handler a Writable (for unary methods too) that passes one message at a time
 * to the HTTP/2 stream and takes the next, or the status, only when the previous message's socket
 * write has completed: a 21-chunk chat answer went out over 21 turns of the event loop, one socket
 * write and one client wake-up each (in the bench, half a stream's time went between its first
 * message and its last), and a unary answer's status a turn after its message. grpc-js's interceptors are its public
 * way to act on a call before that glue: the interceptor below takes a data-plane call there,
 * reads its one request message as the glue would, and gives it to the method as a DirectCall,
 * whose messages and status go to the HTTP/2 stream as they come: the events one upstream read
 * delivers leave in one frame and one write.
 */

/** What a data-plane method does with a call once its request message has arrived. */
export type DirectHandler = (call: DirectCall) => void;

/** Messages sent and not yet written out, beyond which write() asks the method to wait (a Writable's default for objects). */
export const HIGH_WATER = 16;

/** What a DirectCall uses of grpc-js's call. */
export type GrpcCall = Pick<ServerInterceptingCallInterface, "getPeer" | "getDeadline" | "sendMetadata" | "sendMessage" | "sendStatus">;

/** The surface of a grpc-js call the method uses, over grpc-js's own call. */
export class DirectCall {
  /** True once the client went away or the call ended (grpc-js reports both as a cancel). */
  cancelled = false;
  private pending = 0;
  private waiting: (() => void) | undefined;
  private onCancel: (() => void) | undefined;

  constructor(
    private readonly call: GrpcCall,
    readonly metadata: Metadata,
    readonly request: unknown,
  ) {}

  getPeer(): string {
    return this.call.getPeer();
  }

  getDeadline(): Deadline {
    return this.call.getDeadline();
  }

  sendMetadata(metadata: Metadata): void {
    this.call.sendMetadata(metadata);
  }

  /** Sends one response message; false when HIGH_WATER messages are still being written (then await drained()). */
  write(message: unknown): boolean {
    this.pending++;
    this.call.sendMessage(message, this.written);
    return this.pending < HIGH_WATER;
  }

  /** Resolves once every message sent has been written, or the call is cancelled (a cancelled call writes no more). */
  drained(): Promise<void> {
    if (this.pending === 0 || this.cancelled) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Ends the call as OK, after the messages sent. */
  end(): void {
    this.call.sendStatus({ code: status.OK, details: "OK", metadata: null });
  }

  /** Ends the call with this status, after the messages sent. */
  fail(s: Partial<StatusObject> & Pick<StatusObject, "code" | "details">): void {
    this.call.sendStatus(s);
  }

  /** `listener` hears of the cancel (once); a call cancelled already calls it at once. */
  onCancelled(listener: () => void): void {
    if (this.cancelled) listener();
    else this.onCancel = listener;
  }

  private readonly written = (): void => {
    if (--this.pending === 0) this.wake();
  };

  /** grpc-js: the client cancelled, the deadline passed, or the call ended and its stream closed. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.wake();
    this.onCancel?.();
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.();
  }
}

/**
 * Takes the calls whose paths `handlers` holds (methods with one request message); every other
 * call passes through to grpc-js's handlers unchanged. The request is read as grpc-js reads it for
 * such a method: exactly one message, UNIMPLEMENTED otherwise, with grpc-js's own wording.
 */
export function directCalls(handlers: ReadonlyMap<string, DirectHandler>): ServerInterceptor {
  return (method, call) => {
    const handler = handlers.get(method.path);
    if (!handler || method.requestStream) return new ServerInterceptingCall(call);
    let metadata: Metadata | undefined;
    let request: unknown;
    let received = false;
    let direct: DirectCall | undefined;
    return new ServerInterceptingCall(call, {
      // The listener never passes an event on: grpc-js's handler glue for the method never runs.
      start: (next) =>
        next({
          onReceiveMetadata: (md) => {
            metadata = md;
            call.startRead();
          },
          onReceiveMessage: (message) => {
            if (received) {
              call.sendStatus({ code: status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${method.path}`, metadata: null });
              return;
            }
            received = true;
            request = message;
            call.startRead();
          },
          onReceiveHalfClose: () => {
            if (!received) {
              call.sendStatus({ code: status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${method.path}`, metadata: null });
              return;
            }
            direct = new DirectCall(call, metadata ?? new Metadata(), request);
            handler(direct);
          },
          onCancel: () => direct?.cancel(),
        }),
    });
  };
}
