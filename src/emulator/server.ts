// Starts the emulator's HTTP server and exposes the programmatic control handle.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Emulator, EmulatorOptions, FaultRule, ResponseState, Timing } from "./api.js";
import { serveControl } from "./control.js";
import { buildState, type EmulatorState } from "./emulator-state.js";
import { Exchange } from "./exchange.js";
import { parseFaultRule } from "./faults.js";
import { serveModelRoute } from "./model-calls.js";
import { parseTiming, validateOptions } from "./options.js";
import { serveResponsesRoute } from "./responses-route.js";
import { publicUsage } from "./responses-run.js";
import { routeOf } from "./routes.js";
import { resourceNotFound, serverError } from "./wire-errors.js";

const WAIT_FOR_POLL_MS = 10;
const WAIT_FOR_DEFAULT_MS = 5_000;

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  validateOptions(opts);
  const state = buildState(opts);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res, state).catch(() => {
      // Never a crash and never internals on the wire: a generic 500, or a dropped connection mid-stream.
      if (!res.headersSent) new Exchange(req, res, undefined, state.defaultOrigin).error(serverError());
      else res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("emulator: server is not listening on TCP");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  const emulator: Emulator = {
    url: `http://${host}:${address.port}`,
    setFault(deployment: string, rule: FaultRule | undefined): void {
      if (!state.deployments.has(deployment)) throw new Error(`emulator: no deployment named '${deployment}'`);
      if (rule === undefined) return state.faults.set(deployment, undefined);
      const parsed = parseFaultRule(rule);
      if (typeof parsed === "string") throw new Error(`emulator: ${parsed}`);
      state.faults.set(deployment, parsed);
    },
    setTiming(t: Timing): void {
      const parsed = parseTiming(t);
      if (typeof parsed === "string") throw new Error(`emulator: ${parsed}`);
      Object.assign(state.timing, parsed);
    },
    get requests() {
      return state.log.all;
    },
    clearRequests(): void {
      state.log.clear();
    },
    response(id: string): ResponseState | undefined {
      const stored = state.responses.get(id);
      if (!stored) return undefined;
      const view = stored.view();
      const usage = view.usage === undefined ? undefined : publicUsage(view.usage);
      return { status: view.status, deployment: stored.deployment, background: stored.background, usage };
    },
    async waitFor(pred: (e: Emulator) => boolean, timeoutMs = WAIT_FOR_DEFAULT_MS): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pred(emulator)) {
        if (Date.now() >= deadline) throw new Error(`emulator: waitFor condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, WAIT_FOR_POLL_MS));
      }
    },
    close(): Promise<void> {
      state.responses.close();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return emulator;
}

async function handle(req: IncomingMessage, res: ServerResponse, state: EmulatorState): Promise<void> {
  const method = req.method ?? "GET";
  const url = req.url ?? "/";
  const route = routeOf(method, url);
  if (route.kind === "control-faults" || route.kind === "control-requests" || route.kind === "control-timing") {
    // Control calls stay out of the request log: tests count what the gateway sent, not their own polling.
    return serveControl(new Exchange(req, res, undefined, state.defaultOrigin), state, route);
  }
  const q = url.indexOf("?");
  const record = state.log.start(method, q === -1 ? url : url.slice(0, q));
  const ex = new Exchange(req, res, record, state.defaultOrigin);
  if (route.kind === "not-found") {
    req.resume();
    return ex.error(resourceNotFound());
  }
  if (ex.record) ex.record.apiVersion = route.apiVersion;
  // Azure checks the credential before anything else: an Entra token on any route, a key as bearer on v1 routes only.
  const v1 = route.kind === "responses" ? route.v1 : route.kind !== "classic";
  const checked = state.keys.check(req.headers, v1);
  const verdict = checked instanceof Promise ? await checked : checked;
  if (ex.record) ex.record.credential = verdict.kind;
  if (verdict.denied) return ex.error(verdict.denied);
  if (route.kind === "responses") return serveResponsesRoute(ex, state, route);
  return serveModelRoute(ex, state, route);
}
