// Three gateway processes sharing one Redis: a key limited to N requests per window gets N (± 1) across all three.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";

let t: TestGateway;
let replicas: GatewayProcess[] = [];
beforeAll(async () => {
  t = await startTestGateway();
  replicas = await Promise.all([startReplica(t), startReplica(t), startReplica(t)]);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await t.close();
});

describe("limits across replicas", () => {
  it("30 RPM for one key, 90 concurrent requests spread over three processes: 30 served", async () => {
    const N = 30;
    const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: N } });
    const statuses = await Promise.all(
      Array.from({ length: 3 * N }, async (_, i) => {
        const replica = replicas[i % replicas.length];
        if (!replica) throw new Error("no replica");
        const res = await request(`${replica.httpUrl}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
        });
        await res.body.text();
        return res.statusCode;
      }),
    );
    const served = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(N - 1);
    expect(served).toBeLessThanOrEqual(N + 1);
  });
});
