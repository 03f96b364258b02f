// Provisioned first, standard on its 429: the client never sees the throttle, and the throttled member rests for what Azure asked.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminCall } from "../support/identity.js";
import type { TestGateway } from "../support/gateway.js";
import { POOL_MODEL, seenBy, startPoolGateway } from "./pool.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
let sdk: OpenAI;

beforeAll(async () => {
  t = await startPoolGateway(
    [
      { id: "ptu", deployment: "gpt-4.1-ptu", kind: "provisioned", priority: 0 },
      { id: "paygo", deployment: "gpt-4.1-paygo", kind: "standard", priority: 1 },
    ],
    { aliases: { "house-model": POOL_MODEL } },
  );
  sdk = gatewaySdk(t);
});
afterAll(() => t.close());
beforeEach(() => {
  t.resetUpstream();
  t.emulator.clearRequests();
});

const ask = (model = POOL_MODEL) => sdk.chat.completions.create({ model, messages: [{ role: "user", content: "Name a colour." }] });

interface Listed {
  id: string;
  model: string;
  kind: string;
  priority: number;
  weight: number;
  state: string;
  until?: string;
  in_flight: number;
  latency_ms?: number;
  error_rate: number;
}

async function listed(): Promise<Map<string, Listed>> {
  const res = await adminCall(t.httpUrl, t.adminToken, "GET", "/v1/admin/deployments");
  expect(res.status).toBe(200);
  return new Map((res.json.deployments as Listed[]).map((d) => [d.id, d]));
}

describe("provisioned first, spillover to standard", () => {
  it("serves from the provisioned member while it is healthy", async () => {
    for (let i = 0; i < 5; i++) await ask();
    expect(seenBy(t)).toEqual(new Map([["gpt-4.1-ptu", [200, 200, 200, 200, 200]]]));
  });

  it("a 429 spills every request to standard at once; the provisioned member is not tried again before its retry-after", async () => {
    const retryAfterMs = 1500;
    t.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "rate-limit", retryAfterMs } });
    const throttledAt = Date.now();
    let answered = 0;
    // Requests for most of the cooling period: all answered, none of them by the throttled member after the first.
    while (Date.now() - throttledAt < retryAfterMs - 300) {
      const r = await ask();
      expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
      answered += 1;
    }
    expect(answered).toBeGreaterThan(5);
    const seen = seenBy(t);
    expect(seen.get("gpt-4.1-ptu")).toEqual([429]);
    expect(seen.get("gpt-4.1-paygo")).toEqual(Array(answered).fill(200));

    const ptu = (await listed()).get("ptu");
    expect(ptu?.state).toBe("cooling");
    const until = Date.parse(ptu?.until ?? "");
    expect(until).toBeGreaterThanOrEqual(throttledAt + retryAfterMs - 50);
    expect(until).toBeLessThanOrEqual(Date.now() + retryAfterMs);

    // Its retry-after over (and Azure's capacity back), the provisioned member takes the traffic again.
    t.emulator.setFault("gpt-4.1-ptu", undefined);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 20));
    t.emulator.clearRequests();
    await ask();
    expect(seenBy(t)).toEqual(new Map([["gpt-4.1-ptu", [200]]]));
    expect((await listed()).get("ptu")?.state).toBe("healthy");
  });

  it("logs the failover at info, naming both members and the reason; the request line names the member that answered", async () => {
    t.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "rate-limit", retryAfterMs: 1 }, times: 1 });
    const from = t.logs.length;
    const r = await sdk.chat.completions.create({ model: POOL_MODEL, messages: [{ role: "user", content: "Name a colour." }] }).withResponse();
    const requestId = r.response.headers.get("x-request-id");
    const lines = t.logs.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    const failover = lines.find((l) => l.event === "upstream.failover");
    expect(failover).toMatchObject({ level: "info", request_id: requestId, from: "ptu", to: "paygo", reason: "rate_limit_exceeded", attempt: 2 });
    expect(lines.find((l) => l.event === "request" && l.request_id === requestId)).toMatchObject({ deployment: "paygo", attempts: 2 });
  });

  it("an alias names the pool", async () => {
    await ask("house-model");
    expect(seenBy(t)).toEqual(new Map([["gpt-4.1-ptu", [200]]]));
    expect((await sdk.models.list()).data.map((m) => m.id)).toEqual(expect.arrayContaining(["house-model", POOL_MODEL]));
  });

  it("ListDeployments shows each member's settings and live state", async () => {
    await ask();
    const ptu = (await listed()).get("ptu");
    expect(ptu).toMatchObject({ id: "ptu", model: POOL_MODEL, kind: "provisioned", priority: 0, weight: 1, state: "healthy", in_flight: 0, error_rate: 0 });
    expect(ptu?.until).toBeUndefined();
    expect(ptu?.latency_ms).toBeGreaterThan(0);
    expect((await listed()).get("paygo")).toMatchObject({ kind: "standard", priority: 1, state: "healthy" });
  });
});
