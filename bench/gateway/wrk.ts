// Optional (BENCH_WRK=1): the latency scenario (HTTP unary, one request at a time) measured by wrk as well, beside the
// bench's own generator, because earlier figures for it were taken with wrk. The generator stays the default and the
// source of the summary: wrk is one more tool to install and it cannot time streams or speak gRPC.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { AZURE_PATH, httpBody } from "./scenarios.js";
import type { Stack } from "./scenario-runs.js";
import { EMULATOR_KEY, type Front } from "./stack.js";

const run = promisify(execFile);

interface WrkResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A Lua script for one door: the same POST as the generator sends, and one machine-readable line at the end. */
function script(key: string): string {
  return `wrk.method = "POST"
wrk.body = [==[${httpBody(false)}]==]
wrk.headers["content-type"] = "application/json"
wrk.headers["api-key"] = "${key}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %f %f\\n", summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
`;
}

async function wrk(front: Front, key: string, seconds: number, scriptDir: string): Promise<WrkResult> {
  const file = join(scriptDir, `wrk-${key === EMULATOR_KEY ? "emulator" : "gateway"}.lua`);
  writeFileSync(file, script(key));
  const { stdout } = await run("wrk", ["-t1", "-c1", `-d${seconds}s`, "--latency", "-s", file, `${front.url}${AZURE_PATH}`]).catch((err: unknown) => {
    throw new Error(`BENCH_WRK=1 needs wrk on the PATH (apt-get install -y wrk): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  const m = /^WRK_RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)$/m.exec(stdout);
  if (!m) throw new Error(`wrk printed no result line:\n${stdout}`);
  // wrk reports microseconds.
  return { requests: Number(m[1]), errors: Number(m[2]), seconds: Number(m[3]) / 1e6, p50Ms: Number(m[4]) / 1000, p99Ms: Number(m[5]) / 1000 };
}

export async function wrkLatency(s: Stack): Promise<string> {
  const seconds = Math.max(1, Math.round(s.opts.seconds));
  const warmup = Math.round(s.opts.warmupSeconds);
  const doors = [
    ["emulator direct", s.emulator, EMULATOR_KEY],
    ["bare proxy", s.proxy, EMULATOR_KEY],
    ["gateway", s.gateway, s.gateway.apiKey],
  ] as const;
  const results: [string, WrkResult][] = [];
  for (const [door, front, key] of doors) {
    console.error(`wrk, HTTP unary c=1 / ${door}: ${warmup} s warm-up, ${seconds} s measured...`);
    if (warmup > 0) await wrk(front, key, warmup, s.workDir);
    results.push([door, await wrk(front, key, seconds, s.workDir)]);
  }
  const direct = results[0]?.[1];
  const lines = ["| front door | req/s | p50 ms | p99 ms | added p50 ms | errors |", "|---|--:|--:|--:|--:|--:|"];
  for (const [door, r] of results) {
    const added = door === "emulator direct" || !direct ? "–" : (r.p50Ms - direct.p50Ms).toFixed(2);
    lines.push(`| ${door} | ${Math.round(r.requests / r.seconds)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${added} | ${r.errors} |`);
  }
  return lines.join("\n");
}
