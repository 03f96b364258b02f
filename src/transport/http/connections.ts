// The HTTP front door's connections: which carry a request, which have been quiet a while, and a close that drops no accepted request.
import type { Server } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import { Server as TlsServer } from "node:tls";
import type { InFlight } from "../in-flight.js";

interface State {
  busy: number;
  lastActive: number;
  /** socket.bytesRead when last seen: growth is a client sending (a request on its way). */
  bytesRead: number;
}

/** A connection quiet this long with no request open is idle: a client reusing it would have sent by now. */
const QUIET_MS = 500;
const SWEEP_MS = 50;
/** At the deadline, calls ended as a shutdown get this long to write their last event before sockets go. */
const LAST_WORDS_MS = 250;

export class Connections {
  private readonly sockets = new Map<Socket, State>();

  constructor(private readonly server: Server) {
    // Keyed by the socket requests see: under TLS that is the TLS socket, not the TCP one "connection" reports.
    // No "data" listener: one would take the socket off Node's fast parser path; bytesRead tells the sweep the same.
    server.on(server instanceof TlsServer ? "secureConnection" : "connection", (socket: Socket) => {
      this.sockets.set(socket, { busy: 0, lastActive: performance.now(), bytesRead: socket.bytesRead });
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  /** A request arrived on `socket`: its connection is not idle until the answer closes. */
  acquire(socket: Socket): void {
    const state = this.sockets.get(socket);
    if (state) state.busy += 1;
  }

  /** The answer to a request on `socket` closed. */
  release(socket: Socket): void {
    const state = this.sockets.get(socket);
    if (!state) return;
    state.busy -= 1;
    state.lastActive = performance.now();
    state.bytesRead = socket.bytesRead;
  }

  /**
   * Stops accepting, then closes each connection once it has been quiet a while with no request
   * open (never one whose request is on its way: its bytes count as activity); answers on the
   * others carry `Connection: close`. At the grace deadline the calls still open are ended as a
   * shutdown and every socket goes.
   */
  close(graceMs: number, inFlight: InFlight): Promise<void> {
    // http.Server#close would also drop every connection between two requests, including one a
    // client is reusing at this instant: the listener alone is closed here.
    NetServer.prototype.close.call(this.server);
    const deadline = performance.now() + graceMs;
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearInterval(sweep);
        resolve();
      };
      const sweep = setInterval(() => {
        const now = performance.now();
        for (const [socket, state] of this.sockets) {
          if (state.busy > 0) continue;
          if (socket.bytesRead !== state.bytesRead) {
            state.bytesRead = socket.bytesRead;
            state.lastActive = now;
          } else if (now - state.lastActive >= QUIET_MS) {
            socket.destroySoon();
          }
        }
        if (this.sockets.size === 0) {
          // Under TLS a connection still in its handshake is not in `sockets` yet, and its client (a
          // load balancer) sends a request the moment the handshake ends: wait for it like any other.
          this.server.getConnections((err, open) => {
            if (err || open === 0) finish();
          });
        }
        if (now >= deadline) {
          clearInterval(sweep);
          inFlight.endAll();
          setTimeout(() => {
            for (const socket of this.sockets.keys()) socket.destroy();
            finish();
          }, LAST_WORDS_MS);
        }
      }, SWEEP_MS);
    });
  }
}
