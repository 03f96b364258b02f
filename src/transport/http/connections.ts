// The HTTP front door's connections: which carry a request, which have been quiet a while, and a close that drops no accepted request.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { InFlight } from "../in-flight.js";

interface State {
  busy: number;
  lastActive: number;
}

/** A connection quiet this long with no request open is idle: a client reusing it would have sent by now. */
const QUIET_MS = 500;
const SWEEP_MS = 50;
/** At the deadline, calls ended as a shutdown get this long to write their last event before sockets go. */
const LAST_WORDS_MS = 250;

export class Connections {
  private readonly sockets = new Map<Socket, State>();

  constructor(private readonly server: Server) {
    server.on("connection", (socket: Socket) => {
      const state: State = { busy: 0, lastActive: performance.now() };
      this.sockets.set(socket, state);
      socket.on("data", () => (state.lastActive = performance.now()));
      socket.once("close", () => this.sockets.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const state = this.sockets.get(req.socket);
      if (!state) return;
      state.busy += 1;
      res.once("close", () => {
        state.busy -= 1;
        state.lastActive = performance.now();
      });
    });
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
      const sweep = setInterval(() => {
        const now = performance.now();
        for (const [socket, state] of this.sockets) {
          if (state.busy === 0 && now - state.lastActive >= QUIET_MS) socket.destroySoon();
        }
        if (this.sockets.size === 0) {
          clearInterval(sweep);
          resolve();
        } else if (now >= deadline) {
          clearInterval(sweep);
          inFlight.endAll();
          setTimeout(() => {
            for (const socket of this.sockets.keys()) socket.destroy();
            resolve();
          }, LAST_WORDS_MS);
        }
      }, SWEEP_MS);
    });
  }
}
