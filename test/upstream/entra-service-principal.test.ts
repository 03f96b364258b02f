// Entra ID from AI-K to Azure through a service principal (client secret) at a named authority: a gateway process trusting the fake authority's CA as an operator would (NODE_EXTRA_CA_CERTS).
import { randomBytes, randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { loopbackCertificate, startFakeEntra, type FakeEntra, type ServicePrincipal } from "../support/fake-entra.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";

const messages = [{ role: "user" as const, content: "Name a colour." }];
const sp: ServicePrincipal = { tenantId: randomUUID(), clientId: randomUUID(), clientSecret: randomBytes(24).toString("base64url") };
const WRONG_SECRET = randomBytes(24).toString("base64url");

let fake: FakeEntra;
let emulator: Emulator;
let t: TestGateway;
let replica: GatewayProcess;
let sdk: OpenAI;

beforeAll(async () => {
  // https only: MSAL refuses an authority over http. The gateway process trusts this certificate the way an operator's would trust a private CA.
  const cert = loopbackCertificate();
  fake = await startFakeEntra({ tls: cert, servicePrincipal: sp });
  emulator = await startEmulator({ apiKey: randomBytes(16).toString("hex"), entraKey: fake.signingKey, deployments: [{ name: "gpt-4o-sp", model: "gpt-4o" }] });
  t = await startTestGateway();
  const entra = (id: string, model: string, secretEnv: string) =>
    `  - { id: ${id}, endpoint: "${emulator.url}", deployment: gpt-4o-sp, model: ${model}, api_style: v1, auth: entra, tenant_id: "${sp.tenantId}", client_id: "${sp.clientId}", client_secret_env: ${secretEnv}, authority_host: "${fake.url}" }\n`;
  replica = await startReplica(
    t,
    { NODE_EXTRA_CA_CERTS: cert.certFile, AIK_TEST_SP_SECRET: sp.clientSecret, AIK_TEST_SP_WRONG: WRONG_SECRET },
    entra("sp-a", "sp-model", "AIK_TEST_SP_SECRET") + entra("sp-b", "sp-model-b", "AIK_TEST_SP_SECRET") + entra("sp-wrong", "sp-wrong-model", "AIK_TEST_SP_WRONG"),
  );
  sdk = new OpenAI({ baseURL: `${replica.httpUrl}/v1`, apiKey: t.apiKey, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await replica?.stop();
  await t?.close();
  await emulator?.close();
  await fake?.close();
});

describe("a deployment with auth: entra (service principal)", () => {
  it("gets one token with its client secret from the named authority and serves every request with it as Bearer", async () => {
    await fake.waitForIssuedTo(sp.clientId, 1, 20_000);
    for (let i = 0; i < 6; i++) {
      const r = await sdk.chat.completions.create({ model: i % 2 === 0 ? "sp-model" : "sp-model-b", messages });
      expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    }
    // Two deployments, one set of settings: one token.
    expect(fake.issued.filter((i) => i.via === "sp")).toHaveLength(1);
    expect(fake.issued[0]?.resource).toBe("https://cognitiveservices.azure.com");
    expect(emulator.requests).toHaveLength(6);
    expect(emulator.requests.every((r) => r.credential === "entra" && r.status === 200)).toBe(true);
  });

  it("a wrong client secret: 503 naming the deployment, Azure never asked, and the logs name the OAuth error without any secret", async () => {
    await fake.waitForRefused(1, 20_000);
    const before = emulator.requests.length;
    const err = await sdk.chat.completions.create({ model: "sp-wrong-model", messages }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain("cannot get an Entra token for deployment 'sp-wrong'");
    expect(emulator.requests.length).toBe(before);
    const out = replica.stdout();
    const failures = out
      .split("\n")
      .filter((l) => l.includes('"upstream.entra_token_unavailable"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    // What to fix, by code: Entra's AADSTS7000215 is "invalid client secret".
    expect(failures[0]).toMatchObject({ credential: `service_principal:${sp.clientId}@${sp.tenantId}`, oauth_error: "invalid_client", aadsts: 7000215 });
    expect(out).not.toContain(WRONG_SECRET);
    expect(out).not.toContain(sp.clientSecret);
    for (const issued of fake.issued) expect(out).not.toContain(issued.token);
  });
});
