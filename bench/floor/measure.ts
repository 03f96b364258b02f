// The transport floor: what one call, unary or streamed, costs a Node server on each transport before it does any work
// of its own. Every server answers a fixed chat completion or its 20 chunks (server.ts); the load is the gateway
// bench's own requesters and closed loop, run in this process; the server's CPU is read from /proc as each window opens and closes.
import { closedLoop } from "../gateway/closed-loop.js";
import { cpuSeconds } from "../gateway/proc-stats.js";
import { spawnNode } from "../gateway/processes.js";
import { requester } from "../gateway/requesters.js";
import { DEPLOYMENT, httpBody } from "../gateway/scenarios.js";
import { SHAPES, TRANSPORTS, type Shape, type Transport } from "./transports.js";

export interface FloorSettings {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
  readonly rounds: number;
}

interface Window {
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  /** The server's CPU seconds over the window. */
  readonly cpu: number;
}

export interface FloorRow {
  readonly shape: Shape;
  readonly transport: Transport;
  readonly windows: readonly Window[];
}

/** The server's CPU per successful call over a row's windows, µs. */
export function cpuPerCall(row: FloorRow | undefined): number | undefined {
  if (!row) return undefined;
  const calls = row.windows.reduce((n, w) => n + w.calls, 0);
  return calls === 0 ? undefined : (1e6 * row.windows.reduce((n, w) => n + w.cpu, 0)) / calls;
}

export function floorRow(rows: readonly FloorRow[], shape: Shape, transport: Transport): FloorRow | undefined {
  return rows.find((r) => r.shape === shape && r.transport === transport);
}

async function measureOnce(transport: Transport, shape: Shape, s: FloorSettings): Promise<Window> {
  const { child, line } = await spawnNode({
    name: `floor server (${transport}, ${shape})`,
    script: "bench/floor/server.ts",
    args: [transport, shape],
    ready: (l) => l.startsWith("floor server listening on "),
  });
  try {
    const port = Number(line.slice("floor server listening on ".length));
    const grpc = transport !== "http";
    const load = requester({
      protocol: grpc ? "grpc" : "http",
      stream: shape === "stream",
      target: grpc ? `127.0.0.1:${port}` : `http://127.0.0.1:${port}`,
      path: `/openai/deployments/${DEPLOYMENT}/chat/completions`,
      headers: {},
      body: httpBody(shape === "stream"),
      complete: shape === "stream" ? "[DONE]" : '"choices"',
      firstToken: "",
      concurrency: s.concurrency,
      warmupSeconds: s.warmupSeconds,
      seconds: s.seconds,
    });
    try {
      if (s.warmupSeconds > 0) await closedLoop(load, s.concurrency, s.warmupSeconds);
      const cpu0 = cpuSeconds(child.pid);
      const w = await closedLoop(load, s.concurrency, s.seconds);
      return { calls: w.latencies.length, errors: w.errors, firstError: w.firstError, seconds: w.seconds, cpu: cpuSeconds(child.pid) - cpu0 };
    } finally {
      await load.close();
    }
  } finally {
    await child.stop();
  }
}

/** Every shape on every transport, once per round, in alternating order; `progress` hears of each window. */
export async function measureFloor(s: FloorSettings, progress: (what: string) => void): Promise<FloorRow[]> {
  const rows = SHAPES.flatMap((shape) => TRANSPORTS.map((transport) => ({ shape, transport, windows: [] as Window[] })));
  for (let round = 0; round < s.rounds; round++) {
    for (const shape of SHAPES) {
      const ofShape = rows.filter((r) => r.shape === shape);
      for (const row of round % 2 === 0 ? ofShape : ofShape.reverse()) {
        progress(`transport floor, ${shape} / ${row.transport} (round ${round + 1} of ${s.rounds}): ${s.warmupSeconds} s warm-up, ${s.seconds} s measured...`);
        row.windows.push(await measureOnce(row.transport, shape, s));
      }
    }
  }
  return rows;
}

const NAMES: Record<Transport, string> = {
  http: "node:http (JSON; SSE in one write)",
  h2: "node:http2, gRPC framing by hand",
  "grpc-js": "@grpc/grpc-js",
};

const sum = (ws: readonly Window[], f: (w: Window) => number): number => ws.reduce((a, w) => a + f(w), 0);

export function floorTable(rows: readonly FloorRow[]): string {
  const lines = [
    "| shape | transport | calls/s | server CPU | server CPU µs/call | above node:http µs/call | ÷ node:http | errors |",
    "|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    const secs = sum(row.windows, (w) => w.seconds);
    const us = cpuPerCall(row);
    const base = cpuPerCall(floorRow(rows, row.shape, "http"));
    const cell = (x: number | undefined): string => (x === undefined ? "–" : x.toFixed(1));
    lines.push(
      `| ${row.shape} | ${NAMES[row.transport]} | ${(sum(row.windows, (w) => w.calls) / secs).toFixed(0)} | ${((100 * sum(row.windows, (w) => w.cpu)) / secs).toFixed(0)}% | ${cell(us)} | ${cell(us !== undefined && base !== undefined ? us - base : undefined)} | ${us !== undefined && base ? (us / base).toFixed(2) : "–"} | ${sum(row.windows, (w) => w.errors)} |`,
    );
  }
  return lines.join("\n");
}

/** The failed calls of every row, and the first error of each row that had one. */
export function floorErrors(rows: readonly FloorRow[]): { count: number; first: string[] } {
  const first = rows.flatMap((r) => {
    const e = r.windows.find((w) => w.firstError)?.firstError;
    return e ? [`${r.shape} / ${r.transport}: ${e}`] : [];
  });
  return { count: rows.reduce((n, r) => n + sum(r.windows, (w) => w.errors), 0), first };
}
