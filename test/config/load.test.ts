// Config from file + env: valid files load, every invalid value names its field and the fix, exit code 2.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/reader.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "aik-config-"));

function withFile(text: string, env: Record<string, string> = {}) {
  return loadConfig({ AIK_CONFIG: "/etc/aik.yaml", ...env }, () => text);
}

const good = `
server:
  http_port: 9000
  max_body_bytes: 1048576
deployments:
  - id: gpt4o-east
    endpoint: https://east.openai.azure.com/
    deployment: gpt-4o
    model: gpt-4o
    api_key_env: EAST_KEY
    api_style: classic
    api_version: 2024-10-21
    region: East US
    price: { input_per_1m: "2.50", cached_input_per_1m: "1.25", output_per_1m: "10.00" }
  - id: mini
    endpoint: https://west.openai.azure.com
    deployment: gpt-4o-mini
    model: gpt-4o-mini
    api_key_env: WEST_KEY
    api_style: v1
`;

describe("loadConfig", () => {
  it("reads a YAML file with deployments and env overrides", () => {
    const c = withFile(good, { EAST_KEY: "k1", WEST_KEY: "k2", AIK_GRPC_PORT: "6000" });
    expect(c.httpPort).toBe(9000);
    expect(c.grpcPort).toBe(6000);
    expect(c.maxBodyBytes).toBe(1048576);
    expect(c.mode.kind).toBe("deployments");
    if (c.mode.kind !== "deployments") return;
    expect(c.mode.deployments[0]).toMatchObject({
      endpoint: "https://east.openai.azure.com",
      auth: { kind: "api_key", apiKey: "k1" },
      apiStyle: "classic",
      price: { inputMicroUsdPer1M: 2_500_000, cachedInputMicroUsdPer1M: 1_250_000, outputMicroUsdPer1M: 10_000_000 },
    });
    expect(c.mode.deployments[1]).toMatchObject({ apiStyle: "v1", apiVersion: undefined });
    expect(Object.isFrozen(c.mode.deployments[0])).toBe(true);
  });

  it("reads the same settings as JSON", () => {
    const c = withFile(JSON.stringify({ server: { http_port: 9001 } }));
    expect(c.httpPort).toBe(9001);
    expect(c.mode.kind).toBe("emulator");
  });

  it("defaults: 8080, 50051, 4 MiB, emulator mode", () => {
    const c = loadConfig({});
    expect([c.httpPort, c.grpcPort, c.maxBodyBytes, c.mode.kind]).toEqual([8080, 50051, 4 * 1024 * 1024, "emulator"]);
  });

  it("env-only mode: endpoint + key, model name as deployment name", () => {
    const c = loadConfig({ AZURE_OPENAI_ENDPOINT: "https://r.openai.azure.com", AZURE_OPENAI_API_KEY: "k" });
    expect(c.mode).toMatchObject({ kind: "env", wildcard: { endpoint: "https://r.openai.azure.com", auth: { kind: "api_key", apiKey: "k" }, apiStyle: "v1" } });
  });

  it("warns about a plain http:// endpoint", () => {
    const c = loadConfig({ AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:8090", AZURE_OPENAI_API_KEY: "k" });
    expect(c.warnings.join(" ")).toMatch(/plain http/);
  });

  it("pools: kind, priority (provisioned first by default), weight; routing settings and aliases", () => {
    const pool = good
      .replace("    region: East US\n", "    region: East US\n    kind: provisioned\n")
      .replace("    api_style: v1\n", "    api_style: v1\n    weight: 3\n");
    const c = withFile(`${pool}routing:\n  strategy: least_latency\n  cache_affinity: false\n  breaker: { failures: 2, open_ms: 500 }\naliases:\n  house: gpt-4o\n`, { EAST_KEY: "a", WEST_KEY: "b" });
    if (c.mode.kind !== "deployments") throw new Error("deployments mode expected");
    expect(c.mode.deployments.map((d) => [d.id, d.kind, d.priority, d.weight])).toEqual([
      ["gpt4o-east", "provisioned", 0, 1],
      ["mini", "standard", 1, 3],
    ]);
    expect(c.routing).toMatchObject({ strategy: "least_latency", cacheAffinity: false, breaker: { failures: 2, openMs: 500 }, maxAttempts: 3 });
    expect(c.aliases).toEqual({ house: "gpt-4o" });
    expect(withFile(good, { EAST_KEY: "a", WEST_KEY: "b" }).routing).toMatchObject({ strategy: "weighted", cacheAffinity: true, breaker: { failures: 5, openMs: 10_000 } });
  });

  const bad: Array<[string, string, Record<string, string>, RegExp]> = [
    ["unknown field", "server:\n  http_prot: 1\n", {}, /server\.http_prot is not a known setting/],
    ["port out of range", "server:\n  http_port: 70000\n", {}, /server\.http_port must be a whole number from 0 to 65535/],
    ["missing key env", good, { WEST_KEY: "x" }, /deployments\[0\]\.api_key_env names EAST_KEY, which is not set/],
    ["bad api_style", good.replace("api_style: v1", "api_style: modern"), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[1\]\.api_style must be "classic" or "v1"/],
    ["classic without version", good.replace("    api_version: 2024-10-21\n", ""), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[0\]\.api_version is required/],
    ["endpoint with a query", good.replace("https://west.openai.azure.com", "https://west.openai.azure.com/?x=1"), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[1\]\.endpoint must not carry/],
    ["deployment name with a slash", good.replace("deployment: gpt-4o-mini", "deployment: a/b"), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[1\]\.deployment may hold only/],
    ["duplicate id", good.replace("id: mini", "id: gpt4o-east"), { EAST_KEY: "a", WEST_KEY: "b" }, /is used twice/],
    ["bad price", good.replace('input_per_1m: "2.50"', 'input_per_1m: "cheap"'), { EAST_KEY: "a", WEST_KEY: "b" }, /price\.input_per_1m must be USD/],
    ["not YAML", "server: [unclosed", {}, /not valid YAML or JSON/],
    ["bad kind", good.replace("    api_style: v1\n", "    api_style: v1\n    kind: spot\n"), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[1\]\.kind must be/],
    ["zero weight", good.replace("    api_style: v1\n", "    api_style: v1\n    weight: 0\n"), { EAST_KEY: "a", WEST_KEY: "b" }, /deployments\[1\]\.weight must be a whole number from 1/],
    ["bad strategy", `${good}routing: { strategy: fastest }\n`, { EAST_KEY: "a", WEST_KEY: "b" }, /routing\.strategy must be one of weighted, least_busy, least_latency/],
    ["unknown routing field", `${good}routing: { breakers: {} }\n`, { EAST_KEY: "a", WEST_KEY: "b" }, /routing\.breakers is not a known setting/],
    ["breaker open_ms too short", `${good}routing: { breaker: { open_ms: 5 } }\n`, { EAST_KEY: "a", WEST_KEY: "b" }, /routing\.breaker\.open_ms must be a whole number from 100/],
    ["alias of an unknown model", `${good}aliases: { house: gpt-5 }\n`, { EAST_KEY: "a", WEST_KEY: "b" }, /aliases\.house must name a configured model/],
    ["alias shadowing a model", `${good}aliases: { gpt-4o-mini: gpt-4o }\n`, { EAST_KEY: "a", WEST_KEY: "b" }, /aliases\.gpt-4o-mini is already a model or deployment id/],
    ["bad env port", "", { AIK_HTTP_PORT: "80a" }, /AIK_HTTP_PORT must be a whole number/],
  ];
  it.each(bad)("%s -> names the field", (_label, text, env, message) => {
    expect(() => withFile(text, env)).toThrow(ConfigError);
    expect(() => withFile(text, env)).toThrow(message);
  });
});

describe("an invalid config stops the process", () => {
  it("with one line naming the field, exit code 2, no stack trace", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "server:\n  grpc_port: -1\n");
    const err = await run(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, AIK_CONFIG: file }, timeout: 30_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 2 });
    const stderr = (err as { stderr: string }).stderr;
    expect(stderr.trim().split("\n")).toEqual(["aik: invalid configuration: server.grpc_port must be a whole number from 0 to 65535."]);
  });
});
