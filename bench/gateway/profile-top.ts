// Reads a V8 .cpuprofile (node --cpu-prof) and prints the functions with the most self time, and self time by where the code lives.
// Run: npx tsx bench/gateway/profile-top.ts <file.cpuprofile> [top=10]
import { readFileSync } from "node:fs";

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

function readProfile(path: string): { nodes: Map<number, ProfileNode>; samples: number[]; deltas: number[] } {
  const json: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!isRecord(json) || !Array.isArray(json["nodes"])) throw new Error(`${path} is not a .cpuprofile`);
  const nodes = new Map<number, ProfileNode>();
  for (const n of json["nodes"]) {
    if (!isRecord(n) || typeof n["id"] !== "number" || !isRecord(n["callFrame"])) continue;
    const f = n["callFrame"];
    nodes.set(n["id"], {
      id: n["id"],
      functionName: typeof f["functionName"] === "string" && f["functionName"] !== "" ? f["functionName"] : "(anonymous)",
      url: typeof f["url"] === "string" ? f["url"] : "",
      line: typeof f["lineNumber"] === "number" ? f["lineNumber"] + 1 : 0,
      children: Array.isArray(n["children"]) ? n["children"].filter((c): c is number => typeof c === "number") : [],
    });
  }
  return { nodes, samples: numbers(json["samples"]), deltas: numbers(json["timeDeltas"]) };
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
if (!path) throw new Error("usage: profile-top.ts <file.cpuprofile> [top=10]");
const top = Number(topArg ?? 10);
const { nodes, samples, deltas } = readProfile(path);

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
console.log(`${path}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%)\n`);
console.log(
  `Top ${top} functions by self time (share of busy time), with the JavaScript that called them:\n\n| ms | share | function | called from |\n|--:|--:|---|---|\n${table(byFunction, top, true)}\n`,
);
console.log(`Self time by where the code lives:\n\n| ms | share | place |\n|--:|--:|---|\n${table(byPlace, 15, false)}`);
