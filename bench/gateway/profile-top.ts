// Reads a V8 .cpuprofile (node --cpu-prof) and prints the functions with the most self time, and self time by where the code lives;
// or a .heapprofile of allocations (BENCH_ALLOC_PROF=1, or =survivors) and prints the same by bytes allocated.
// Run: npx tsx bench/gateway/profile-top.ts <file.cpuprofile | file.heapprofile> [top=10]
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { allocProfileFile } from "./options.js";

interface ProfileNode {
  readonly id: number;
  readonly functionName: string;
  readonly url: string;
  readonly line: number;
  readonly children: readonly number[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function numbers(v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) throw new Error("profile: samples and timeDeltas must be number arrays");
  return v;
}

function nodeOf(n: Record<string, unknown>, id: number, children: readonly number[]): ProfileNode | undefined {
  const f = n["callFrame"];
  if (!isRecord(f)) return undefined;
  return {
    id,
    functionName: typeof f["functionName"] === "string" && f["functionName"] !== "" ? f["functionName"] : "(anonymous)",
    url: typeof f["url"] === "string" ? f["url"] : "",
    line: typeof f["lineNumber"] === "number" ? f["lineNumber"] + 1 : 0,
    children,
  };
}

/** A CPU profile's samples (each weighing the time before it, in µs), or an allocation profile's nodes (each weighing the bytes it allocated). */
function readProfile(path: string): { nodes: Map<number, ProfileNode>; samples: number[]; deltas: number[]; unit: "time" | "bytes" } {
  const json: unknown = JSON.parse(readFileSync(path, "utf8"));
  const nodes = new Map<number, ProfileNode>();
  if (isRecord(json) && isRecord(json["head"])) {
    // A sampling heap profile: a tree whose nodes carry the bytes allocated in them (selfSize).
    const samples: number[] = [];
    const deltas: number[] = [];
    const visit = (n: Record<string, unknown>): void => {
      const kids = Array.isArray(n["children"]) ? n["children"].filter(isRecord) : [];
      const id = n["id"];
      const node = typeof id === "number" ? nodeOf(n, id, kids.flatMap((k) => (typeof k["id"] === "number" ? [k["id"]] : []))) : undefined;
      if (!node) return;
      nodes.set(node.id, node);
      if (typeof n["selfSize"] === "number" && n["selfSize"] > 0) {
        samples.push(node.id);
        deltas.push(n["selfSize"]);
      }
      for (const k of kids) visit(k);
    };
    visit(json["head"]);
    return { nodes, samples, deltas, unit: "bytes" };
  }
  if (!isRecord(json) || !Array.isArray(json["nodes"])) throw new Error(`${path} is neither a .cpuprofile nor a .heapprofile`);
  for (const n of json["nodes"]) {
    if (!isRecord(n) || typeof n["id"] !== "number") continue;
    const node = nodeOf(n, n["id"], Array.isArray(n["children"]) ? n["children"].filter((c): c is number => typeof c === "number") : []);
    if (node) nodes.set(node.id, node);
  }
  return { nodes, samples: numbers(json["samples"]), deltas: numbers(json["timeDeltas"]), unit: "time" };
}

/** node_modules/<package>, src/<folder>, node's own code, or V8's pseudo-frames such as (garbage collector). */
function place(n: ProfileNode): string {
  if (n.url === "") return n.functionName.startsWith("(") ? n.functionName : "(native)";
  if (n.url.startsWith("node:")) return "node:" + (n.url.slice(5).split("/")[0] ?? "");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(n.url);
  if (pkg) return pkg[1] ?? "?";
  const own = /\/(src|gen|bench|test)\/([^/]+)/.exec(n.url);
  return own ? `${own[1]}/${own[2]}` : n.url;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  const j = url.search(/\/(src|gen|bench|test)\//);
  return j >= 0 ? url.slice(j + 1) : url;
}

const [path, topArg] = process.argv.slice(2);
if (!path) throw new Error("usage: profile-top.ts <file.cpuprofile | file.heapprofile> [top=10]");
const top = Number(topArg ?? 10);
const { nodes, samples, deltas, unit } = readProfile(path);

const parentOf = new Map<number, ProfileNode>();
for (const n of nodes.values()) for (const c of n.children) parentOf.set(c, n);
const label = (n: ProfileNode): string => `${n.functionName}  ${shortUrl(n.url)}${n.line ? `:${n.line}` : ""}`;

/** The nearest caller that is JavaScript of our own or of a package, not a native or node-internal frame. */
function caller(n: ProfileNode): string {
  for (let p = parentOf.get(n.id); p; p = parentOf.get(p.id)) {
    if (p.url !== "" && !p.url.startsWith("node:")) return label(p);
  }
  return "?";
}

// timeDeltas[i] is the time before sample i; it is charged to the sampled (leaf) frame.
const byFunction = new Map<string, number>();
const callers = new Map<string, Map<string, number>>();
const byPlace = new Map<string, number>();
let total = 0;
samples.forEach((id, i) => {
  const n = nodes.get(id);
  const us = deltas[i] ?? 0;
  if (!n) return;
  total += us;
  const key = label(n);
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const from = callers.get(key) ?? new Map<string, number>();
  from.set(caller(n), (from.get(caller(n)) ?? 0) + us);
  callers.set(key, from);
  byPlace.set(place(n), (byPlace.get(place(n)) ?? 0) + us);
});
const idle = [...byFunction].filter(([k]) => k.startsWith("(idle)")).reduce((s, [, v]) => s + v, 0);
const busy = total - idle;
const cell = (s: string): string => s.replaceAll("|", "\\|");
const ranked = (m: Map<string, number>, n: number): Array<[string, number]> =>
  [...m]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
const share = (us: number, of: number): string => `${((100 * us) / of).toFixed(1)}%`;
/** The three JavaScript frames that account for most of a function's self time, with their part of it. */
const mainCallers = (key: string, us: number): string =>
  ranked(callers.get(key) ?? new Map<string, number>(), 3)
    .map(([c, t]) => `${c} (${share(t, us)})`)
    .join("; ");
const table = (m: Map<string, number>, n: number, withCallers: boolean): string =>
  ranked(m, n)
    .map(([k, us]) => `| ${(us / 1000).toFixed(0)} | ${share(us, busy)} | ${cell(k)} |${withCallers ? ` ${cell(mainCallers(k, us))} |` : ""}`)
    .join("\n");
// Weights are µs of time or bytes: the first column reads ms or KB, shares are of busy time or of everything allocated.
const words =
  unit === "bytes"
    ? {
        head: basename(path) === allocProfileFile("survivors")
          ? `${(total / 1e6).toFixed(1)} MB allocated that outlived a young-generation collection (sampled)`
          : `${(total / 1e6).toFixed(1)} MB allocated (sampled, collected objects included)`,
        column: "KB",
        top: "bytes allocated",
        place: "Bytes allocated",
      }
    : {
        head: `${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%)`,
        column: "ms",
        top: "self time (share of busy time)",
        place: "Self time",
      };
console.log(`${path}: ${words.head}\n`);
console.log(
  `Top ${top} functions by ${words.top}, with the JavaScript that called them:\n\n| ${words.column} | share | function | called from |\n|--:|--:|---|---|\n${table(byFunction, top, true)}\n`,
);
console.log(`${words.place} by where the code lives:\n\n| ${words.column} | share | place |\n|--:|--:|---|\n${table(byPlace, 15, false)}`);
