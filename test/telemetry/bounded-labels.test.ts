// What a client types never becomes a metric label, a span attribute or a usage outcome: configured names and closed sets only.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica } from "../support/gateway-process.js";
import { EMULATOR_KEY, startTestGateway, type TestGateway } from "../support/gateway.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

async function chat(base: string, model: string, extra: Record<string, unknown> = {}): Promise<{ status: number; requestId: string }> {
  const res = await request(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], ...extra }),
  });
  await res.body.text();
  return { status: res.statusCode, requestId: String(res.headers["x-request-id"]) };
}

describe("bounded labels", () => {
  it("env-only mode: 300 model names a client made up leave /metrics small and labelled 'other'", async () => {
    // No config file: every well-formed model name is a deployment of that name at the emulator.
    const replica = await startReplica(t, { AIK_CONFIG: "", AZURE_OPENAI_ENDPOINT: t.emulator.url, AZURE_OPENAI_API_KEY: EMULATOR_KEY });
    try {
      const metrics = async (): Promise<string> => {
        const res = await request(`${replica.httpUrl}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
        return res.body.text();
      };
      await chat(replica.httpUrl, "gpt-4o-mini");
      const before = (await metrics()).length;
      for (let i = 0; i < 300; i++) await chat(replica.httpUrl, `made-up-model-${i}`);
      const after = await metrics();
      expect(after).not.toContain("made-up-model");
      expect(after).toContain('model="other"');
      // Each made-up name is one more series of nothing: the text grows by a bounded handful of series, not 300 of each.
      expect(after.length - before).toBeLessThan(20_000);
    } finally {
      await replica.stop();
    }
  });

  it("an upstream's own error code is never stored as the usage record's outcome, nor logged", async () => {
    // An upstream that puts request text into its error code (Azure never should; nothing may trust that).
    const echo = "echo_of_the_prompt_7c1e";
    const fake = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const body = JSON.stringify({ error: { code: echo, message: "x", param: echo } });
        res.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", () => resolve()));
    const port = (fake.address() as AddressInfo).port;
    const g = await startTestGateway({}, (c) => {
      if (c.mode.kind !== "deployments") throw new Error("unexpected mode");
      const echoing = { ...c.mode.deployments[1]!, id: "echoing", model: "echoing", endpoint: `http://127.0.0.1:${port}` };
      return { ...c, mode: { kind: "deployments", deployments: [...c.mode.deployments, echoing] } };
    });
    try {
      const res = await request(`${g.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${g.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "echoing", messages: [{ role: "user", content: "hi" }] }),
      });
      // The client whose request it was may see the upstream's answer ...
      expect(res.statusCode).toBe(400);
      expect(await res.body.text()).toContain(echo);
      const requestId = String(res.headers["x-request-id"]);
      let rows: Awaited<ReturnType<typeof storedRecords>> = [];
      await until("the record", async () => (rows = await storedRecords(g.databaseUrl, { keyIds: [g.member.keyId] })).some((r) => r.request_id === requestId));
      // ... the record and the logs never.
      expect(rows.find((r) => r.request_id === requestId)?.outcome).toBe("upstream_error:invalid_argument");
      expect(JSON.stringify(rows)).not.toContain(echo);
      expect(g.logs.join("\n")).not.toContain(echo);
    } finally {
      await g.close();
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});
