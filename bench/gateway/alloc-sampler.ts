// Loaded into the gateway with --import when BENCH_ALLOC_PROF is set: samples every allocation site, objects the GC
// has already collected included (node --heap-prof keeps only what is still alive), and writes the profile at exit.
// BENCH_ALLOC_PROF=survivors leaves out what a young-generation collection freed: what remains is what the GC copied,
// once or more, the cost of a scavenge. Read either with: npx tsx bench/gateway/profile-top.ts <file>
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { allocProfileFile, allocProfileOf } from "./options.js";

const dir = process.env["BENCH_ALLOC_PROF_DIR"];
if (!dir) throw new Error("alloc-sampler: BENCH_ALLOC_PROF_DIR is not set");
// The bench hands the gateway the kind it read (stack.ts); loaded by hand without one, it samples everything.
const kind = allocProfileOf(process.env) ?? "all";
const session = new Session();
session.connect();
session.post("HeapProfiler.enable");
// One sample per 4 KB allocated on average: enough for sites of a fraction of a percent, cheap enough to leave the run usable.
session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: kind === "all" });
process.once("exit", () => {
  // An in-process session answers synchronously, so the profile is written before the process ends.
  session.post("HeapProfiler.stopSampling", (err, result) => {
    if (err) console.error(`alloc-sampler: ${err.message}`);
    else writeFileSync(join(dir, allocProfileFile(kind)), JSON.stringify(result.profile));
  });
});
