// SIGHUP and AdminService.ReloadConfig: a new deployment list, aliases, routing, prices and default limits, without dropping a request.
import { writeFileSync } from "node:fs";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replicaConfigText, startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let replica: GatewayProcess;
beforeAll(async () => {
  t = await startTestGateway();
  replica = await startReplica(t);
});
afterAll(async () => {
  await replica.stop();
  await t.close();
});

/** The replica's log lines (JSON) with this event name. */
const logged = (event: string): Array<Record<string, unknown>> =>
  replica
    .stdout()
    .split("\n")
    .filter((l) => l.includes(`"${event}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function chat(model: string, key = t.apiKey): Promise<{ status: number; id: string; body: string }> {
  const res = await request(`${replica.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Name a colour." }] }),
  });
  return { status: res.statusCode, id: String(res.headers["x-request-id"]), body: await res.body.text() };
}

// gpt-4o becomes a pool of two (provisioned first by default), with an alias, a price on the provisioned member,
// another routing strategy and a default request limit.
const reloaded = (): string => {
  const member = `endpoint: "${t.emulator.url}", api_key_env: AIK_TEST_EMULATOR_KEY, api_style: classic, api_version: "2024-10-21"`;
  return `deployments:
  - { id: next-ptu, kind: provisioned, deployment: gpt-4o-old, model: gpt-4o, ${member}, price: { input_per_1m: "1000000", output_per_1m: "0" } }
  - { id: next-paygo, deployment: gpt-4o, model: gpt-4o, ${member} }
  - { id: gpt-4o-mini, endpoint: "${t.emulator.url}", deployment: gpt-4o-mini, model: gpt-4o-mini, api_key_env: AIK_TEST_EMULATOR_KEY, api_style: v1 }
aliases: { house-model: gpt-4o }
routing: { strategy: least_busy }
limits: { defaults: { requests_per_minute: 2 } }
`;
};

describe("reloading the configuration", () => {
  it("SIGHUP: new requests use the new list, prices and limits; a stream in flight finishes on the old one", async () => {
    t.emulator.setTiming({ chunkDelayMs: 40, answerWords: 30 });
    const stream = await request(`${replica.httpUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "Tell me a story." }] }),
    });
    const body = stream.body.text();
    await t.emulator.waitFor((e) => e.requests.some((r) => r.stream && (r.chunksSent ?? 0) > 2));

    writeFileSync(replica.configFile, reloaded());
    replica.child.kill("SIGHUP");
    await until("the reload logged", async () => logged("config.reloaded").length === 1);
    expect(logged("config.reloaded")[0]).toMatchObject({ level: "info", deployments: 3 });

    const text = await body;
    t.emulator.setTiming({ chunkDelayMs: 0, answerWords: 16 });
    expect(stream.statusCode).toBe(200);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(text).not.toContain('"error"');

    t.emulator.clearRequests();
    const fresh = await provisionUser(t.httpUrl, t.adminToken, "member");
    const first = await chat("house-model", fresh.apiKey);
    expect(first.status).toBe(200);
    // Provisioned first (its default priority is 0, standard's 1): Azure's gpt-4o-old deployment answered.
    expect(t.emulator.requests.map((r) => r.deployment)).toEqual(["gpt-4o-old"]);
    expect((await chat("gpt-4o", fresh.apiKey)).status).toBe(200);
    // The new default limit: two a minute for a key and user without limits of their own.
    const third = await chat("gpt-4o", fresh.apiKey);
    expect(third.status).toBe(429);

    // The new price: $1 per input token on the provisioned member.
    await until("metered", async () => (await storedRecords(t.databaseUrl, { keyIds: [fresh.keyId] })).some((r) => r.request_id === first.id));
    const record = (await storedRecords(t.databaseUrl, { keyIds: [fresh.keyId] })).find((r) => r.request_id === first.id);
    expect(record?.deployment_id).toBe("next-ptu");
    expect(record?.cost_micro_usd).toBe((record?.prompt_tokens ?? 0) * 1_000_000);

    const listed = await adminCall(replica.httpUrl, t.adminToken, "GET", "/v1/admin/deployments");
    expect(listed.json.deployments.map((d: { id: string; kind: string; priority: number }) => [d.id, d.kind, d.priority])).toEqual([
      ["next-ptu", "provisioned", 0],
      ["next-paygo", "standard", 1],
      ["gpt-4o-mini", "standard", 1],
    ]);
  });

  it("an invalid config is refused with one clear log line; the running one stays", async () => {
    writeFileSync(replica.configFile, reloaded().replace("limits:", "limitz:"));
    replica.child.kill("SIGHUP");
    await until("the refusal logged", async () => logged("config.reload_refused").length === 1);
    const refusal = logged("config.reload_refused")[0];
    expect(refusal).toMatchObject({ level: "error" });
    expect(String(refusal?.message)).toMatch(/limitz is not a known setting/);
    expect((await chat("house-model")).status).toBe(200);

    // ReloadConfig says the same to the operator, and changes nothing either.
    const refused = await adminCall(replica.httpUrl, t.adminToken, "POST", "/v1/admin/config:reload");
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: "invalid_config" });
    expect(refused.json.error.message).toMatch(/refused/);
    expect((await chat("house-model")).status).toBe(200);
  });

  it("ReloadConfig (the operator) applies a fixed file, says what needs a restart, and is audited", async () => {
    writeFileSync(replica.configFile, replicaConfigText(t, "upstream: { connections: 8 }\n"));
    const ok = await adminCall(replica.httpUrl, t.adminToken, "POST", "/v1/admin/config:reload");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ deployments: 2, needs_restart: ["upstream"] });
    expect((await chat("house-model")).status).toBe(404);
    expect((await chat("gpt-4o")).status).toBe(200);

    const audit = await adminCall(replica.httpUrl, t.adminToken, "GET", "/v1/admin/audit-events?action=config.reloaded");
    // Newest first: this call, then the SIGHUP of the first test (operator too, with no network source).
    expect(audit.json.events).toHaveLength(2);
    const [row, signalled] = audit.json.events;
    expect(row.actor).toBe("operator");
    expect(row.source).toBeTruthy();
    expect(signalled).toMatchObject({ actor: "operator" });
    expect(signalled.source ?? "").toBe("");
    expect(signalled.changes.map((c: { field: string }) => c.field)).toEqual(expect.arrayContaining(["deployments", "aliases", "routing", "limits.defaults"]));
    const fields = Object.fromEntries(row.changes.map((c: { field: string; old_value?: string; new_value?: string }) => [c.field, c]));
    expect(fields.deployments).toMatchObject({ old_value: "gpt-4o-mini,next-paygo,next-ptu", new_value: "gpt-4o,gpt-4o-mini" });
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(["deployments", "aliases", "routing", "limits.defaults"]));
    expect(JSON.stringify(row)).not.toContain("test-emulator-key");
  });

  it("/metrics carries attempts, per-deployment latency and each deployment's state", async () => {
    await chat("gpt-4o");
    const res = await request(`${replica.httpUrl}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const text = await res.body.text();
    expect(text).toMatch(/aik_upstream_attempts_total\{[^}]*deployment="gpt-4o"[^}]*outcome="ok"[^}]*\} \d+/);
    expect(text).toMatch(/aik_upstream_latency_bucket\{[^}]*deployment="gpt-4o"/);
    expect(text).toMatch(/aik_deployment_state\{[^}]*deployment="gpt-4o"[^}]*state="healthy"[^}]*\} 1/);
    expect(text).toMatch(/aik_deployment_state\{[^}]*deployment="gpt-4o"[^}]*state="open"[^}]*\} 0/);
  });
});
