// Rotating an Azure key without a restart (README, "Running in production"): point api_key_env at the other variable the process started with, and reload.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { provisionUser } from "../support/identity.js";
import { freshDatabase } from "../support/postgres.js";
import { until } from "../support/usage-db.js";
import { fixedPorts } from "./fixed-ports.js";
import { replica, type Replica } from "./replica-process.js";

// Azure holds two keys per resource; KEY1 has just been regenerated there, so only KEY2's value is good.
const KEY2 = `key2-${randomBytes(8).toString("hex")}`;

let emulator: Emulator | undefined;
let database: { url: string; drop(): Promise<void> } | undefined;
let dir: string | undefined;
let gateway: Replica | undefined;
let configFile = "";
const adminToken = randomBytes(32).toString("base64url");

const config = (keyEnv: string): string => `deployments:
  - { id: gpt-4o-mini, endpoint: "${emulator?.url ?? ""}", deployment: gpt-4o-mini, model: gpt-4o-mini, api_key_env: ${keyEnv}, api_style: v1 }
`;

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: KEY2, deployments: [{ name: "gpt-4o-mini", model: "gpt-4o-mini" }] });
  database = await freshDatabase();
  dir = mkdtempSync(join(tmpdir(), "aik-key-rotation-"));
  configFile = join(dir, "aik.yaml");
  writeFileSync(configFile, config("AZURE_TEST_KEY1"));
  const [httpPort = 0, grpcPort = 0] = await fixedPorts(2);
  gateway = replica({
    name: "gateway",
    httpPort,
    grpcPort,
    env: {
      AIK_CONFIG: configFile,
      // Both keys are in the environment from the start: a reload reads the environment the process started with.
      AZURE_TEST_KEY1: `key1-${randomBytes(8).toString("hex")}`,
      AZURE_TEST_KEY2: KEY2,
      AIK_DATA_DIR: join(dir, "data"),
      AIK_ADMIN_TOKEN: adminToken,
      DATABASE_URL: database.url,
      REDIS_URL: "",
    },
  });
  await gateway.start();
}, 120_000);

afterAll(async () => {
  await gateway?.kill();
  await emulator?.close();
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function chat(baseUrl: string, apiKey: string): Promise<number> {
  const res = await request(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 4, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body.text();
  return res.statusCode;
}

describe("rotating an Azure key", () => {
  it("a deployment switched to the other key's variable by SIGHUP serves again, without a restart", async () => {
    if (!gateway) throw new Error("setup failed");
    const g = gateway;
    const member = await provisionUser(g.httpUrl, adminToken, "member");
    // Azure refuses the regenerated key: 502, naming the deployment.
    expect(await chat(g.httpUrl, member.apiKey)).toBe(502);

    writeFileSync(configFile, config("AZURE_TEST_KEY2"));
    const before = g.output().split('"config.reloaded"').length;
    g.signal("SIGHUP");
    await until("the reload is applied", async () => g.output().split('"config.reloaded"').length > before, 10_000);
    expect(await chat(g.httpUrl, member.apiKey)).toBe(200);
    expect(g.running()).toBe(true);
  });
});
