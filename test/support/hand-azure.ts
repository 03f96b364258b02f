// A hand-written Azure: one loopback HTTP server whose answer each test sets, counting the requests it gets and the
// sockets that close, for the tests that need an answer the emulator does not give.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HandAzure {
  /** What the server answers; a test sets it before its calls. */
  handler: Handler;
  readonly requests: number;
  /** Sockets closed so far (a connection the gateway dropped, or the server's). */
  readonly closed: number;
  readonly endpoint: string;
}

/** Starts the server before the file's tests and stops it after them. */
export function handAzure(): HandAzure {
  const state = { handler: ((_req, res) => res.end()) as Handler, requests: 0, closed: 0, endpoint: "" };
  const server = createServer((req, res) => {
    state.requests++;
    state.handler(req, res);
  });
  server.on("connection", (socket) => socket.once("close", () => state.closed++));
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}
