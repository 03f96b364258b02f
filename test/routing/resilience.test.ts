// Failing members: a circuit breaker per member, failover while nothing has reached the client, honest errors when nothing can serve.
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import OpenAI from "openai";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, type ChatCompletion, type ChatCompletionChunk } from "../../gen/aik/v1/chat.js";
import { bearer, chatClient, collect, isServiceError } from "../support/grpc-client.js";
import type { TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";
import { storedRecords, until } from "../support/usage-db.js";
import { POOL_MODEL, seenBy, startPoolGateway } from "./pool.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const messages = [{ role: "user" as const, content: "Name a colour." }];
const protoChat = ChatCompletionRequest.fromPartial({ model: POOL_MODEL, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Name a colour." } }] });

/** The failover log lines (JSON) written since `from`. */
function failovers(g: TestGateway, from = 0): Array<Record<string, unknown>> {
  return g.logs
    .slice(from)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === "upstream.failover");
}

async function states(g: TestGateway): Promise<Map<string, Record<string, unknown>>> {
  const res = await adminCall(g.httpUrl, g.adminToken, "GET", "/v1/admin/deployments");
  return new Map((res.json.deployments as Array<Record<string, unknown>>).map((d) => [String(d.id), d]));
}

describe("a member that refuses connections", () => {
  it("costs one failed attempt per breaker back-off, not one per request; every request succeeds; ListDeployments shows it open", async () => {
    const openMs = 1000;
    const failures = 3;
    const g = (t = await startPoolGateway(
      [
        { id: "dead", deployment: "gpt-4.1-ptu", dead: true, priority: 0 },
        { id: "live", deployment: "gpt-4.1-paygo", priority: 1 },
      ],
      { routing: { breaker: { failures, openMs } } },
    ));
    const sdk = gatewaySdk(g);
    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      const r = await sdk.chat.completions.create({ model: POOL_MODEL, messages });
      expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
      // Paced so the run spans more than one back-off and the half-open probe is seen.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const elapsed = Date.now() - started;
    const deadTries = failovers(g).filter((l) => l.from === "dead");
    expect(deadTries.every((l) => l.to === "live" && l.reason === "upstream_unreachable")).toBe(true);
    // N consecutive failures open it; after that one probe per back-off (which doubles on each failed probe).
    expect(deadTries.length).toBeGreaterThanOrEqual(failures);
    expect(deadTries.length).toBeLessThanOrEqual(failures + Math.ceil(elapsed / openMs));
    expect(elapsed).toBeGreaterThan(openMs); // so at least one probe happened
    expect(deadTries.length).toBeGreaterThan(failures);
    expect(seenBy(g).get("gpt-4.1-paygo")).toHaveLength(200);

    const listed = await states(g);
    expect(listed.get("dead")).toMatchObject({ state: "open", in_flight: 0 });
    expect(Date.parse(String(listed.get("dead")?.until))).toBeGreaterThan(Date.now());
    expect(Number(listed.get("dead")?.error_rate)).toBeGreaterThan(0);
    expect(listed.get("live")).toMatchObject({ state: "healthy", error_rate: 0 });
  });
});

describe("a member failing half its requests with 503", () => {
  it("every request succeeds", async () => {
    const g = (t = await startPoolGateway([
      { id: "east", deployment: "gpt-4.1-east" },
      { id: "west", deployment: "gpt-4.1-west" },
    ]));
    g.emulator.setFault("gpt-4.1-east", { fault: { kind: "unavailable" }, every: 2 });
    const sdk = gatewaySdk(g);
    const answers = await Promise.all(Array.from({ length: 100 }, () => sdk.chat.completions.create({ model: POOL_MODEL, messages })));
    expect(answers.every((a) => (a.choices[0]?.message.content?.length ?? 0) > 0)).toBe(true);
    const seen = seenBy(g);
    // East did fail (and was failed over from), yet no client saw it.
    expect(seen.get("gpt-4.1-east")?.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect((seen.get("gpt-4.1-west") ?? []).every((s) => s === 200)).toBe(true);
  });
});

describe("a member with slow headers", () => {
  it("fails over within the configured header timeout", async () => {
    const headersTimeoutMs = 400;
    const g = (t = await startPoolGateway(
      [
        { id: "slow", deployment: "gpt-4.1-ptu", priority: 0 },
        { id: "fast", deployment: "gpt-4.1-paygo", priority: 1 },
      ],
      { upstream: { headersTimeoutMs } },
    ));
    g.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "slow-headers", delayMs: 5000 } });
    const started = performance.now();
    const r = await gatewaySdk(g).chat.completions.create({ model: POOL_MODEL, messages });
    const took = performance.now() - started;
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(took).toBeGreaterThanOrEqual(headersTimeoutMs - 20);
    expect(took).toBeLessThan(headersTimeoutMs + 1500);
    expect(failovers(g)).toEqual([expect.objectContaining({ from: "slow", to: "fast", reason: "upstream_timeout" })]);
  });
});

describe("retries are bounded", () => {
  it("by routing.max_attempts, however many members could still be tried", async () => {
    const g = (t = await startPoolGateway(
      [
        { id: "a", deployment: "gpt-4.1-ptu", priority: 0 },
        { id: "b", deployment: "gpt-4.1-paygo", priority: 1 },
        { id: "c", deployment: "gpt-4.1-east", priority: 2 },
        { id: "d", deployment: "gpt-4.1-west", priority: 3 },
      ],
      { routing: { maxAttempts: 2 } },
    ));
    for (const d of ["gpt-4.1-ptu", "gpt-4.1-paygo", "gpt-4.1-east", "gpt-4.1-west"]) g.emulator.setFault(d, { fault: { kind: "server-error" } });
    const err = await gatewaySdk(g).chat.completions.create({ model: POOL_MODEL, messages }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 502 });
    expect([...seenBy(g).keys()]).toEqual(["gpt-4.1-ptu", "gpt-4.1-paygo"]);
  });

  it("by the caller's deadline: the HTTP client's timeout header leaves no time to fail over, and a gRPC deadline ends the attempt", async () => {
    const g = (t = await startPoolGateway(
      [
        { id: "slow", deployment: "gpt-4.1-ptu", priority: 0 },
        { id: "fast", deployment: "gpt-4.1-paygo", priority: 1 },
      ],
      { upstream: { headersTimeoutMs: 1000 } },
    ));
    g.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "slow-headers", delayMs: 5000 } });
    const chat = (timeoutHeader?: string) =>
      request(`${g.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${g.apiKey}`, "content-type": "application/json", ...(timeoutHeader ? { "x-stainless-timeout": timeoutHeader } : {}) },
        body: JSON.stringify({ model: POOL_MODEL, messages }),
      }).then(async (r) => (await r.body.text(), r.statusCode));
    // The SDK says it waits 1 s: once the slow member's 1 s header timeout is spent, there is nothing left to fail over with.
    expect(await chat("1")).toBe(504);
    expect(seenBy(g).get("gpt-4.1-paygo")).toBeUndefined();
    // Without the header the same request fails over and succeeds.
    g.resetUpstream();
    g.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "slow-headers", delayMs: 5000 } });
    expect(await chat()).toBe(200);
    expect(seenBy(g).get("gpt-4.1-paygo")).toEqual([200]);

    // A gRPC deadline shorter than the header timeout: the caller's deadline ends it, and no failover starts after it.
    g.resetUpstream();
    g.emulator.clearRequests();
    g.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "slow-headers", delayMs: 5000 } });
    const client = chatClient(g.grpcAddress);
    const started = performance.now();
    const code = await new Promise<number>((resolve) => {
      client.createChatCompletion(protoChat, bearer(g.apiKey), { deadline: Date.now() + 500 }, (e: ServiceError | null) => resolve(e ? e.code : status.OK));
    });
    client.close();
    expect(code).toBe(status.DEADLINE_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(900);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(seenBy(g).get("gpt-4.1-paygo")).toBeUndefined();
  });
});

describe("a stream Azure cuts mid-way", () => {
  it("ends in an error event (HTTP) and an error status (gRPC), never a truncated success, and is metered as estimated partial usage", async () => {
    const g = (t = await startPoolGateway([
      { id: "east", deployment: "gpt-4.1-east", priority: 0 },
      { id: "west", deployment: "gpt-4.1-west", priority: 1 },
    ]));
    g.emulator.setTiming({ answerWords: 40 });
    g.emulator.setFault("gpt-4.1-east", { fault: { kind: "reset-mid-stream", afterChunks: 5 } });

    const sdk = gatewaySdk(g);
    let chunks = 0;
    const { data: stream, response } = await sdk.chat.completions.create({ model: POOL_MODEL, messages, stream: true }).withResponse();
    const httpId = response.headers.get("x-request-id") ?? "";
    const cut = await (async () => {
      for await (const _ of stream) chunks += 1;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(chunks).toBeGreaterThan(0);
    expect(cut).toBeInstanceOf(Error);
    expect(String((cut as Error).message)).toMatch(/upstream stream/i);

    const client = chatClient(g.grpcAddress);
    let grpcId = "";
    const call = client.streamChatCompletion(protoChat, bearer(g.apiKey));
    call.on("metadata", (md: Metadata) => (grpcId = String(md.get("x-request-id")[0])));
    const err = await collect<ChatCompletionChunk>(call).then(
      () => undefined,
      (e: unknown) => e,
    );
    client.close();
    expect(isServiceError(err) && err.code).toBe(status.UNAVAILABLE);

    // Nothing was retried on the other member once bytes had gone out.
    expect(seenBy(g).get("gpt-4.1-west")).toBeUndefined();
    await until("both cut streams recorded", async () => (await storedRecords(g.databaseUrl)).filter((r) => r.request_id === httpId || r.request_id === grpcId).length === 2);
    for (const r of (await storedRecords(g.databaseUrl)).filter((x) => x.request_id === httpId || x.request_id === grpcId)) {
      expect(r).toMatchObject({ outcome: "upstream_error:upstream_stream_cut", deployment_id: "east", estimated: true, streamed: true });
      expect(r.prompt_tokens).toBeGreaterThan(0);
      expect(r.completion_tokens).toBeGreaterThan(0);
      expect(r.cost_micro_usd).toBeGreaterThan(0);
    }
  });
});

describe("every member down", () => {
  it("answers 503 / UNAVAILABLE with retry-after, well inside a 2 s gRPC deadline", async () => {
    const openMs = 5000;
    const g = (t = await startPoolGateway(
      [
        { id: "a", deployment: "gpt-4.1-east", dead: true },
        { id: "b", deployment: "gpt-4.1-west", dead: true },
      ],
      { routing: { breaker: { failures: 1, openMs } } },
    ));
    const client = chatClient(g.grpcAddress);
    const unary = (): Promise<{ err: ServiceError; ms: number }> => {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        client.createChatCompletion(protoChat, bearer(g.apiKey), { deadline: Date.now() + 2000 }, (e: ServiceError | null, _r?: ChatCompletion) =>
          e ? resolve({ err: e, ms: performance.now() - started }) : reject(new Error("answered")),
        );
      });
    };
    // The first call finds both dead (and opens both breakers); the next is refused without an attempt.
    for (const attempt of [1, 2]) {
      const { err, ms } = await unary();
      expect(err.code, `call ${attempt}`).toBe(status.UNAVAILABLE);
      expect(ms).toBeLessThan(1000);
      const retryAfter = Number(err.metadata.get("retry-after-ms")[0]);
      expect(retryAfter).toBeGreaterThan(openMs - 1500);
      expect(retryAfter).toBeLessThanOrEqual(openMs);
    }
    client.close();

    const sdk = gatewaySdk(g);
    const refused = await sdk.chat.completions.create({ model: POOL_MODEL, messages }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    const e = refused as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(503);
    expect(e.code).toBe("no_deployment_available");
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThanOrEqual(3);
    expect(Number(e.headers?.get("retry-after"))).toBeLessThanOrEqual(5);
    // Two attempts in all: one per member, on the first call; none while their breakers were open.
    expect(failovers(g)).toHaveLength(1);
  });
});
