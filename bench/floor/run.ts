// The transport floor on its own (the gateway bench runs it too, for its gRPC ceilings): npm run bench:floor -- [seconds
// per window, default 5] [concurrency, default 32]; BENCH_ROUNDS rounds (default 2), BENCH_WARMUP_SECONDS (default 2).
import { compileForBench, killAllNow, stopAll } from "../gateway/processes.js";
import { floorErrors, floorTable, measureFloor } from "./measure.js";

const seconds = Number(process.argv[2] ?? "5");
const concurrency = Number(process.argv[3] ?? "32");
const rounds = Number(process.env.BENCH_ROUNDS || "2");
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? "2");
if (!(seconds > 0) || !Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(rounds) || rounds < 1 || !(warmupSeconds >= 0)) {
  throw new Error("usage: run.ts [seconds > 0] [concurrency >= 1]; BENCH_ROUNDS a whole number >= 1, BENCH_WARMUP_SECONDS >= 0");
}
process.once("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().finally(() => process.exit(1)));

console.error("compiling src/ and the bench with tsc into dist/ (every process runs compiled, as deployed)...");
await compileForBench();
const rows = await measureFloor({ seconds, warmupSeconds, concurrency, rounds }, (what) => console.error(what));
console.log(`## Transport floor, ${new Date().toISOString()}\n`);
console.log(
  `node ${process.version}; ${rounds} round(s) of ${seconds} s per row, ${concurrency} concurrent calls, closed loop; every server answers a fixed chat completion (unary) or its 20 chunks (stream).\n`,
);
console.log(floorTable(rows));
const errors = floorErrors(rows);
for (const e of errors.first) console.error(`first error: ${e}`);
if (errors.count > 0) process.exitCode = 1;
