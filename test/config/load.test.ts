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
      apiKey: "k1",
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
    expect(c.mode).toMatchObject({ kind: "env", wildcard: { endpoint: "https://r.openai.azure.com", apiKey: "k", apiStyle: "v1" } });
  });

  it("warns about a plain http:// endpoint", () => {
    const c = loadConfig({ AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:8090", AZURE_OPENAI_API_KEY: "k" });
    expect(c.warnings.join(" ")).toMatch(/plain http/);
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
