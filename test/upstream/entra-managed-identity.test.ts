// Entra ID from AI-K to Azure through a managed identity (App Service style endpoint, faked): one token reused, renewed before expiry, 503/UNAVAILABLE without one.
import { randomUUID } from "node:crypto";
import { status, type ServiceError } from "@grpc/grpc-js";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, type ChatCompletion } from "../../gen/aik/v1/chat.js";
import { startGateway, type RunningGateway } from "../../src/app.js";
import type { Config } from "../../src/config/config.js";
import type { Deployment } from "../../src/core/deployments.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/telemetry/logger.js";
import type { TokenTiming } from "../../src/upstream/entra-token.js";
import { classicDeployment } from "../support/deployment.js";
import { startFakeEntra, type FakeEntra } from "../support/fake-entra.js";
import { testConfig, testStores } from "../support/gateway.js";
import { bearer, chatClient } from "../support/grpc-client.js";
import { provisionUser } from "../support/identity.js";

const STATIC_KEY = "static-key-for-the-api-key-member";
const messages = [{ role: "user" as const, content: "Name a colour." }];

let fake: FakeEntra;
let emulator: Emulator;

beforeAll(async () => {
  fake = await startFakeEntra();
  // The platform's contract for a managed identity (App Service, Container Apps): MSAL reads these.
  process.env.IDENTITY_ENDPOINT = fake.identityEndpoint;
  process.env.IDENTITY_HEADER = fake.identityHeader;
  for (const other of ["MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID"]) delete process.env[other];
  emulator = await startEmulator({
    apiKey: STATIC_KEY,
    entraKey: fake.signingKey,
    deployments: [
      { name: "gpt-4o", model: "gpt-4o" },
      { name: "gpt-4o-mini", model: "gpt-4o-mini" },
      { name: "gpt-4.1-a", model: "gpt-4.1" },
      { name: "gpt-4.1-b", model: "gpt-4.1" },
    ],
  });
});

afterAll(async () => {
  await emulator?.close();
  await fake?.close();
});

interface EntraGateway {
  readonly gw: RunningGateway;
  readonly logs: string[];
  readonly sdk: OpenAI;
  readonly apiKey: string;
  /** Swaps the deployments a reload reads. */
  setDeployments(ds: Deployment[]): void;
  close(): Promise<void>;
}

let running: EntraGateway | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  fake.failing = false;
  fake.lifetimeSeconds = 3600;
  fake.delayMs = 0;
  emulator.clearRequests();
});

/** Each test uses its own user-assigned identity: MSAL keeps one process-wide managed identity cache, keyed by the identity. */
function entra(clientId: string | undefined): Deployment["auth"] {
  return { kind: "entra", tenantId: undefined, clientId, clientSecret: undefined, authorityHost: undefined };
}

function deployment(id: string, azureName: string, model: string, auth: Deployment["auth"], extra: Partial<Deployment> = {}): Deployment {
  const classic = azureName === "gpt-4o";
  return classicDeployment({ id, endpoint: emulator.url, deployment: azureName, model, auth, ...(classic ? {} : { apiStyle: "v1", apiVersion: undefined }), ...extra });
}

const FAST: TokenTiming = { refreshMarginMs: 2_000, retryMinMs: 200, retryMaxMs: 1_000, firstFetchWaitMs: 5_000 };

async function start(deployments: Deployment[], timing: TokenTiming = FAST): Promise<EntraGateway> {
  const stores = await testStores();
  const logs: string[] = [];
  let current = deployments;
  const base = testConfig(deployments, stores);
  const configOf = (ds: Deployment[]): Config => ({ ...base, mode: { kind: "deployments", deployments: ds }, upstream: { ...base.upstream, entraTiming: timing } });
  const gw = await startGateway(configOf(current), createLogger("debug", (line) => logs.push(line)), undefined, { readConfig: () => configOf(current) });
  const member = await provisionUser(gw.httpUrl, stores.adminToken, "member");
  running = {
    gw,
    logs,
    apiKey: member.apiKey,
    sdk: new OpenAI({ baseURL: `${gw.httpUrl}/v1`, apiKey: member.apiKey, maxRetries: 0 }),
    setDeployments: (ds) => {
      current = ds;
    },
    close: async () => {
      await gw.close();
      await stores.drop();
    },
  };
  return running;
}

const issuedTo = (clientId: string | undefined) => fake.issued.filter((t) => t.clientId === clientId);
const events = (g: EntraGateway, name: string) => g.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);

function grpcChat(g: EntraGateway, model: string): Promise<{ code: number; details: string }> {
  const client = chatClient(g.gw.grpcAddress);
  const req = ChatCompletionRequest.fromPartial({ model, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Name a colour." } }] });
  return new Promise((resolve) => {
    client.createChatCompletion(req, bearer(g.apiKey), (e: ServiceError | null, _r?: ChatCompletion) => {
      client.close();
      resolve(e ? { code: e.code, details: e.details } : { code: status.OK, details: "" });
    });
  });
}

async function chatStatus(g: EntraGateway, model: string): Promise<number> {
  try {
    await g.sdk.chat.completions.create({ model, messages });
    return 200;
  } catch (err) {
    if (err instanceof OpenAI.APIError && err.status !== undefined) return err.status;
    throw err;
  }
}

describe("a deployment with auth: entra (managed identity)", () => {
  it("fetches one token at start and reuses it for every request, both URL styles, unary, streamed and over gRPC; Azure sees Bearer, never api-key", async () => {
    const id = randomUUID();
    const g = await start([deployment("gpt-4o", "gpt-4o", "gpt-4o", entra(id)), deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(id))], {
      ...FAST,
      refreshMarginMs: 5 * 60_000,
    });
    await fake.waitForIssuedTo(id, 1);
    for (let i = 0; i < 12; i++) {
      const r = await g.sdk.chat.completions.create({ model: i % 2 === 0 ? "gpt-4o" : "gpt-4o-mini", messages });
      expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    }
    const stream = await g.sdk.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let chunks = 0;
    for await (const _ of stream) chunks += 1;
    expect(chunks).toBeGreaterThan(1);
    expect((await grpcChat(g, "gpt-4o-mini")).code).toBe(status.OK);

    // One identity, one token: the two deployments share it, and no request fetched another.
    expect(issuedTo(id)).toHaveLength(1);
    expect(issuedTo(id)[0]?.resource).toBe("https://cognitiveservices.azure.com");
    const seen = emulator.requests.filter((r) => r.deployment === "gpt-4o" || r.deployment === "gpt-4o-mini");
    expect(seen.length).toBe(14);
    expect(seen.every((r) => r.credential === "entra" && r.status === 200)).toBe(true);
    // Nothing of a token reaches a log line.
    const logText = g.logs.join("\n");
    for (const t of fake.issued) expect(logText).not.toContain(t.token);
    expect(events(g, "upstream.entra_token_fetched")).toHaveLength(1);
  });

  it("requests that arrive before the first token wait for that one fetch, all of them: a single flight", async () => {
    // Held longer than the gateway takes to start and provision a member.
    fake.delayMs = 2_500;
    const id = randomUUID();
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(id))]);
    const sent = Date.now();
    const statuses = await Promise.all(Array.from({ length: 16 }, () => chatStatus(g, "gpt-4o-mini")));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(issuedTo(id)).toHaveLength(1);
    expect(issuedTo(id)[0]?.at).toBeGreaterThan(sent);
    expect(emulator.requests).toHaveLength(16);
  });

  it("the system-assigned identity works too", async () => {
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(undefined))]);
    expect(await chatStatus(g, "gpt-4o-mini")).toBe(200);
    expect(issuedTo(undefined).length).toBeGreaterThanOrEqual(1);
    expect(emulator.requests.at(-1)?.credential).toBe("entra");
  });

  it("renews the token before it expires, in the background: requests keep being served with no failure", async () => {
    fake.lifetimeSeconds = 5;
    const id = randomUUID();
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(id))]);
    await fake.waitForIssuedTo(id, 1);
    const statuses: number[] = [];
    // Requests run while the token is renewed twice (the margin is 2 s of a 5 s life).
    while (issuedTo(id).length < 3) {
      statuses.push(await chatStatus(g, "gpt-4o-mini"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const [first, second] = issuedTo(id);
    // Renewed while the first was still valid (it lives 5 s).
    expect((second?.at ?? Infinity) - (first?.at ?? 0)).toBeLessThan(4_500);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(1_500);
    expect(emulator.requests.every((r) => r.status === 200)).toBe(true);
  });

  it("a failing renewal while the token is still valid keeps serving with it, retries with backoff, and recovers", async () => {
    fake.lifetimeSeconds = 12;
    const id = randomUUID();
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(id))], { ...FAST, refreshMarginMs: 6_000 });
    await fake.waitForIssuedTo(id, 1);
    fake.failing = true;
    const refusedBefore = fake.refused;
    // The renewal (due 6 s into a 12 s life) fails, and its retries too.
    await fake.waitForRefused(refusedBefore + 3, 12_000);
    for (let i = 0; i < 5; i++) expect(await chatStatus(g, "gpt-4o-mini")).toBe(200);
    const warned = events(g, "upstream.entra_token_refresh_failed");
    expect(warned.length).toBeGreaterThanOrEqual(3);
    expect(warned.every((w) => typeof w.valid_for_ms === "number" && w.valid_for_ms > 0 && w.credential === `managed_identity:${id}`)).toBe(true);
    fake.failing = false;
    await fake.waitForIssuedTo(id, 2, 5_000);
    expect(issuedTo(id)).toHaveLength(2);
    expect(await chatStatus(g, "gpt-4o-mini")).toBe(200);
    expect(emulator.requests.every((r) => r.status === 200 && r.credential === "entra")).toBe(true);
  });

  it("without a valid token: 503 over HTTP and UNAVAILABLE over gRPC, never a request to Azure without credentials, never a 401", async () => {
    fake.failing = true;
    const refusedBefore = fake.refused;
    const id = randomUUID();
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(id))]);
    await fake.waitForRefused(refusedBefore + 1);
    let status503: InstanceType<typeof OpenAI.APIError> | undefined;
    try {
      await g.sdk.chat.completions.create({ model: "gpt-4o-mini", messages });
    } catch (err) {
      if (err instanceof OpenAI.APIError) status503 = err;
    }
    expect(status503?.status).toBe(503);
    expect(status503?.message).toContain("cannot get an Entra token for deployment 'gpt-4o-mini'");
    expect(status503?.headers?.get("retry-after")).toBeTruthy();
    const streamed = await g.sdk.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true }).then(
      () => 200,
      (err: unknown) => (err instanceof OpenAI.APIError ? err.status : -1),
    );
    expect(streamed).toBe(503);
    // Each request is refused for what it is, however many come: a missing token opens no circuit breaker
    // (the member would otherwise stay out after the token returns).
    for (let i = 0; i < 8; i++) expect(await chatStatus(g, "gpt-4o-mini")).toBe(503);
    expect(events(g, "request").filter((r) => r.outcome === "unavailable")).toHaveLength(10);
    const grpc = await grpcChat(g, "gpt-4o-mini");
    expect(grpc.code).toBe(status.UNAVAILABLE);
    expect(grpc.details).toContain("cannot get an Entra token");
    // Azure was never asked.
    expect(emulator.requests).toHaveLength(0);
    expect(events(g, "upstream.entra_token_unavailable").length).toBeGreaterThanOrEqual(1);
    // The endpoint returns: the background retry fetches a token and the deployment serves again.
    fake.failing = false;
    await fake.waitForIssuedTo(id, 1, 5_000);
    expect(await chatStatus(g, "gpt-4o-mini")).toBe(200);
    expect(emulator.requests.map((r) => r.credential)).toEqual(["entra"]);
  });

  it("a deployment that cannot get a token fails over to another deployment of its model", async () => {
    fake.failing = true;
    const refusedBefore = fake.refused;
    const g = await start([
      deployment("entra-a", "gpt-4.1-a", "gpt-4.1", entra(randomUUID()), { priority: 0 }),
      deployment("key-b", "gpt-4.1-b", "gpt-4.1", { kind: "api_key", apiKey: STATIC_KEY }, { priority: 1 }),
    ]);
    await fake.waitForRefused(refusedBefore + 1);
    for (let i = 0; i < 3; i++) expect(await chatStatus(g, "gpt-4.1")).toBe(200);
    expect(emulator.requests.map((r) => `${r.deployment}:${r.credential}`)).toEqual(["gpt-4.1-b:api-key", "gpt-4.1-b:api-key", "gpt-4.1-b:api-key"]);
    const failovers = events(g, "upstream.failover");
    expect(failovers.length).toBeGreaterThanOrEqual(1);
    expect(failovers[0]).toMatchObject({ from: "entra-a", to: "key-b", reason: "upstream_credential_unavailable" });
  });

  it("a reload keeps the token of settings it keeps, and fetches one at once for a new identity", async () => {
    const kept = randomUUID();
    const g = await start([deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(kept))], { ...FAST, refreshMarginMs: 5 * 60_000 });
    await fake.waitForIssuedTo(kept, 1);
    const added = randomUUID();
    // New Deployment objects with the same settings, plus one with another identity.
    g.setDeployments([
      deployment("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", entra(kept)),
      deployment("gpt-4o", "gpt-4o", "gpt-4o", entra(added)),
    ]);
    await g.gw.reload();
    await fake.waitForIssuedTo(added, 1);
    expect(await chatStatus(g, "gpt-4o-mini")).toBe(200);
    expect(await chatStatus(g, "gpt-4o")).toBe(200);
    expect(issuedTo(kept)).toHaveLength(1);
    expect(issuedTo(added)).toHaveLength(1);
  });
});
