// SIGTERM under load: every request the gateway accepted is answered and metered, over HTTP and gRPC, and the process exits 0.
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { Client } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, ChatServiceClient } from "../../gen/aik/v1/chat.js";
import { startReplica } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
// Slow answers (about a second each), so many are in flight when the signal comes.
beforeEach(() => {
  t.emulator.clearRequests();
  t.emulator.setTiming({ timeToFirstTokenMs: 300, chunkDelayMs: 40 });
});

/** Requests the emulator has begun and not yet answered. */
const inFlight = (): number => t.emulator.requests.filter((r) => r.status === 0 && !r.aborted).length;

const BODY = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Keep talking" }] });
const SHUTDOWN_CONFIG = "server:\n  shutdown_grace_ms: 15000\n";

/** What one request came to: answered (with its request id), or never taken by the gateway. */
type Fate = { kind: "answered"; requestId: string } | { kind: "refused" } | { kind: "lost"; error: string };

/**
 * A connection the kernel queued but the gateway never accepted is refused or reset when the
 * listener closes: the client sent nothing on an accepted connection, so that is a refusal.
 * Anything else on a connection that already carried an answer is a request lost.
 */
function fateOfError(err: unknown, fresh: boolean): Fate {
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  const refused = code === "ECONNREFUSED" || (fresh && (code === "ECONNRESET" || code === "UND_ERR_SOCKET"));
  return refused ? { kind: "refused" } : { kind: "lost", error: `${code} ${String(err)}` };
}

/** A closed loop on one keep-alive connection; a new connection when an answer says `Connection: close`; stops at the first refusal. */
async function worker(url: string, key: string, fates: Fate[]): Promise<void> {
  let client = new Client(url, { keepAliveTimeout: 30_000 });
  let fresh = true;
  try {
    for (;;) {
      try {
        const res = await client.request({ method: "POST", path: "/v1/chat/completions", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: BODY });
        await res.body.text();
        fates.push(res.statusCode === 200 ? { kind: "answered", requestId: String(res.headers["x-request-id"]) } : { kind: "lost", error: `HTTP ${res.statusCode}` });
        fresh = false;
        if (res.headers.connection === "close") {
          await client.close();
          client = new Client(url, { keepAliveTimeout: 30_000 });
          fresh = true;
        }
      } catch (err) {
        const fate = fateOfError(err, fresh);
        fates.push(fate);
        return;
      }
    }
  } finally {
    await client.destroy();
  }
}

async function slow(url: string, key: string): Promise<Fate> {
  const client = new Client(url);
  try {
    const res = await client.request({ method: "POST", path: "/v1/chat/completions", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: BODY });
    await res.body.text();
    return res.statusCode === 200 ? { kind: "answered", requestId: String(res.headers["x-request-id"]) } : { kind: "lost", error: `HTTP ${res.statusCode}` };
  } catch (err) {
    return fateOfError(err, true);
  } finally {
    await client.destroy();
  }
}

describe("graceful shutdown", () => {
  it("HTTP: 8 closed-loop workers and 40 slow requests in flight, SIGTERM: every accepted request answered and metered, exit 0", async () => {
    const replica = await startReplica(t, {}, SHUTDOWN_CONFIG);
    const fates: Fate[] = [];
    const workers = Array.from({ length: 8 }, () => worker(replica.httpUrl, t.apiKey, fates));
    const slows = Array.from({ length: 40 }, () => slow(replica.httpUrl, t.apiKey));
    await until("48 requests in flight", async () => inFlight() >= 48, 10_000);
    const exit = replica.stop("SIGTERM");
    const slowFates = await Promise.all(slows);
    await Promise.all(workers);
    expect(await exit).toBe(0);

    const all = [...fates, ...slowFates];
    expect(all.filter((f) => f.kind === "lost")).toEqual([]);
    const answered = all.flatMap((f) => (f.kind === "answered" ? [f.requestId] : []));
    expect(slowFates.every((f) => f.kind === "answered")).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(48);
    const rows = await storedRecords(t.databaseUrl, { keyIds: [t.member.keyId] });
    const stored = new Set(rows.map((r) => r.request_id));
    expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    expect(rows.filter((r) => r.protocol === "http" && answered.includes(r.request_id)).every((r) => r.outcome === "ok")).toBe(true);
  });

  it("gRPC: closed-loop workers and slow calls in flight, SIGTERM: every call already made answers OK and is metered, exit 0", async () => {
    const replica = await startReplica(t, {}, SHUTDOWN_CONFIG);
    const request = ChatCompletionRequest.fromPartial({ model: "gpt-4o-mini", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Keep talking" } }] });
    const md = (): Metadata => {
      const m = new Metadata();
      m.set("authorization", `Bearer ${t.apiKey}`);
      return m;
    };
    const once = (client: ChatServiceClient): Promise<Fate> =>
      new Promise((resolve) => {
        let requestId = "";
        const call = client.createChatCompletion(request, md(), (err: ServiceError | null) => {
          if (!err) resolve({ kind: "answered", requestId });
          // After GOAWAY a new call finds no connection to take it: the client is refused, nothing was accepted.
          else if (err.code === status.UNAVAILABLE && requestId === "") resolve({ kind: "refused" });
          else resolve({ kind: "lost", error: `${err.code} ${err.details}` });
        });
        call.on("metadata", (m: Metadata) => (requestId = String(m.get("x-request-id")[0] ?? "")));
      });
    const client = new ChatServiceClient(replica.grpcAddress, credentials.createInsecure());
    const fates: Fate[] = [];
    const loop = async (): Promise<void> => {
      for (;;) {
        const fate = await once(client);
        fates.push(fate);
        if (fate.kind !== "answered") return;
      }
    };
    const workers = Array.from({ length: 8 }, loop);
    const slows = Array.from({ length: 40 }, () => once(client));
    await until("48 calls in flight", async () => inFlight() >= 48, 10_000);
    const exit = replica.stop("SIGTERM");
    const slowFates = await Promise.all(slows);
    await Promise.all(workers);
    client.close();
    expect(await exit).toBe(0);

    const all = [...fates, ...slowFates];
    expect(all.filter((f) => f.kind === "lost")).toEqual([]);
    expect(slowFates.every((f) => f.kind === "answered")).toBe(true);
    const answered = all.flatMap((f) => (f.kind === "answered" ? [f.requestId] : []));
    const stored = new Set((await storedRecords(t.databaseUrl, { keyIds: [t.member.keyId] })).map((r) => r.request_id));
    expect(answered.filter((id) => !stored.has(id))).toEqual([]);
  });

  it("streams still open at the grace deadline end with an error event or UNAVAILABLE, and are metered as estimated", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 300 });
    const replica = await startReplica(t, {}, "server:\n  shutdown_grace_ms: 600\n");
    const client = new Client(replica.httpUrl);
    const res = await client.request({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "A long story" }] }),
    });
    const httpId = String(res.headers["x-request-id"]);
    const grpc = new ChatServiceClient(replica.grpcAddress, credentials.createInsecure());
    const md = new Metadata();
    md.set("authorization", `Bearer ${t.apiKey}`);
    let grpcId = "";
    const grpcEnd = new Promise<ServiceError | undefined>((resolve) => {
      const call = grpc.streamChatCompletion(
        ChatCompletionRequest.fromPartial({ model: "gpt-4o-mini", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "A long story" } }] }),
        md,
      );
      call.on("metadata", (m: Metadata) => (grpcId = String(m.get("x-request-id")[0] ?? "")));
      call.on("data", () => undefined);
      call.on("error", (err: ServiceError) => resolve(err));
      call.on("end", () => resolve(undefined));
    });
    let text = "";
    const read = (async () => {
      for await (const chunk of res.body) text += String(chunk);
    })();
    await until("both streams under way", async () => text.includes("data: ") && grpcId !== "", 10_000);
    const exit = replica.stop("SIGTERM");
    await read;
    const grpcErr = await grpcEnd;
    grpc.close();
    await client.destroy();
    expect(await exit).toBe(0);

    expect(text).not.toContain("[DONE]");
    const last = text.trim().split("\n\n").at(-1) ?? "";
    expect(JSON.parse(last.replace(/^data: /, ""))).toMatchObject({ error: { code: "shutting_down", type: "server_error" } });
    expect(grpcErr?.code).toBe(status.UNAVAILABLE);
    const rows = await storedRecords(t.databaseUrl, { keyIds: [t.member.keyId] });
    for (const id of [httpId, grpcId]) {
      expect(rows.find((r) => r.request_id === id)).toMatchObject({ outcome: "error:unavailable", estimated: true, streamed: true });
    }
  });
});
