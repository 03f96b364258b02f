// One table of chat cases, run against both front doors: the same answers and the same errors.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { grpcDoor, httpDoor, type ChatCase, type FrontDoor } from "./front-doors.js";

let t: TestGateway;
const doors: Record<string, FrontDoor> = {};

beforeAll(async () => {
  t = await startTestGateway();
  doors.http = httpDoor(t.httpUrl, t.apiKey);
  doors.grpc = grpcDoor(t.grpcAddress, t.apiKey);
});
afterAll(async () => {
  for (const d of Object.values(doors)) d.close();
  await t.close();
});
beforeEach(() => {
  t.emulator.clearRequests();
  t.resetUpstream();
});

const hello: ChatCase = { model: "gpt-4o", messages: [{ role: "user", content: "Say hello in five words." }] };
const weather: ChatCase["tools"] = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
];

/** The usage the emulator reported for the single request it saw. */
function emulatorUsage(): { prompt: number; completion: number; total: number } {
  const seen = t.emulator.requests.filter((r) => r.usage);
  expect(seen).toHaveLength(1);
  const u = seen[0]?.usage;
  return { prompt: u?.prompt_tokens ?? -1, completion: u?.completion_tokens ?? -1, total: u?.total_tokens ?? -1 };
}

describe.each(["http", "grpc"])("chat over %s", (name) => {
  const door = (): FrontDoor => doors[name] ?? expect.unreachable();

  it("answers a unary chat with Azure's usage (classic route)", async () => {
    const r = await door().chat(hello);
    expect(r.contents[0]?.length).toBeGreaterThan(0);
    expect(r.finishReasons).toEqual(["stop"]);
    expect(r.usage).toEqual(emulatorUsage());
    expect(t.emulator.requests[0]).toMatchObject({ path: "/openai/deployments/gpt-4o/chat/completions", apiVersion: "2024-10-21" });
  });

  it("routes a v1-style deployment with the deployment as body model", async () => {
    await door().chat({ ...hello, model: "gpt-4o-mini" });
    const seen = t.emulator.requests[0];
    expect(seen?.path).toBe("/openai/v1/chat/completions");
    expect(seen?.deployment).toBe("gpt-4o-mini");
  });

  it("caps output with max_tokens and reports finish_reason length", async () => {
    const r = await door().chat({ ...hello, max_tokens: 3 });
    expect(r.finishReasons).toEqual(["length"]);
    expect(r.usage?.completion).toBe(3);
    expect(r.contents[0]?.split(" ")).toHaveLength(3);
  });

  it("returns n choices", async () => {
    const r = await door().chat({ ...hello, n: 2 });
    expect(r.contents).toHaveLength(2);
  });

  it("makes tool calls", async () => {
    const r = await door().chat({ ...hello, tools: weather, tool_choice: "required" });
    expect(r.finishReasons).toEqual(["tool_calls"]);
    expect(r.toolCalls[0]?.name).toBe("get_weather");
    expect(JSON.parse(r.toolCalls[0]?.arguments ?? "")).toHaveProperty("city");
  });

  it("answers JSON mode with a JSON object", async () => {
    const r = await door().chat({ ...hello, response_format: { type: "json_object" } });
    expect(typeof JSON.parse(r.contents[0] ?? "")).toBe("object");
  });

  it("streams the same text as the unary answer, without a usage chunk unless asked", async () => {
    const unary = await door().chat(hello);
    t.emulator.clearRequests();
    const s = await door().stream(hello, false);
    expect(s.content).toBe(unary.contents[0]);
    expect(s.finishReason).toBe("stop");
    expect(s.usageChunks).toBe(0);
    // Azure's prompt-filter event (no choices) reaches the client as Azure sent it.
    expect(s.emptyChoiceChunks).toBe(1);
    // The gateway still asked Azure for usage (metering counts from Azure's own numbers).
    expect(t.emulator.requests[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
  });

  it("streams with the usage chunk when asked, equal to Azure's count", async () => {
    const s = await door().stream(hello, true);
    expect(s.usageChunks).toBe(1);
    expect(s.usage).toEqual(emulatorUsage());
  });

  it("creates embeddings", async () => {
    const r = await door().embed("text-embedding-3-small", ["alpha", "beta"]);
    expect(r.vectors).toBe(2);
    expect(r.dims).toBe(1536);
    expect(r.promptTokens).toBeGreaterThan(0);
  });

  it("lists the routed models", async () => {
    const models = await door().models();
    expect(models).toEqual(expect.arrayContaining(["gpt-4o", "gpt-4o-mini", "gpt-4.1", "text-embedding-3-small"]));
  });

  it("fails over to the next deployment when the first is throttled", async () => {
    // A 1 ms retry-after: the router's memory of the throttle (tested in test/core) is over at once.
    t.emulator.setFault("gpt-4.1-ptu", { fault: { kind: "rate-limit", retryAfterMs: 1 }, times: 1 });
    const r = await door().chat({ ...hello, model: "gpt-4.1" });
    expect(r.contents[0]?.length).toBeGreaterThan(0);
    expect(t.emulator.requests.map((q) => [q.deployment, q.status])).toEqual([
      ["gpt-4.1-ptu", 429],
      ["gpt-4.1-paygo", 200],
    ]);
  });

  describe("errors", () => {
    const cases: Array<[string, ChatCase, string, RegExp]> = [
      ["unknown model", { ...hello, model: "gpt-9" }, "not_found", /gpt-9.*does not exist/],
      ["n = 0", { ...hello, n: 0 }, "invalid_argument", /'n'/],
      ["negative max_tokens", { ...hello, max_tokens: -1 }, "invalid_argument", /max_tokens/],
      ["absurd max_tokens", { ...hello, max_tokens: 2_000_000_000 }, "invalid_argument", /max_tokens/],
      ["model with a slash", { ...hello, model: "gpt-4o/../x" }, "invalid_argument", /model/],
      ["model with CR/LF", { ...hello, model: "gpt-4o\r\nx-evil: 1" }, "invalid_argument", /model/],
      ["model with %2F", { ...hello, model: "a%2Fb" }, "invalid_argument", /model/],
      ["model with ?", { ...hello, model: "gpt-4o?api-version=1" }, "invalid_argument", /model/],
      ["model with #", { ...hello, model: "gpt-4o#x" }, "invalid_argument", /model/],
    ];
    it.each(cases)("%s -> %s, and Azure sees nothing", async (_label, c, kind, message) => {
      const f = await door().failure(() => door().chat(c));
      expect(f.kind).toBe(kind);
      expect(f.message).toMatch(message);
      expect(t.emulator.requests).toHaveLength(0);
    });

    it("a parameter the gateway does not act on is Azure's to judge: its 400 reaches the client", async () => {
      const f = await door().failure(() => door().chat({ ...hello, temperature: 5 }));
      expect(f.kind).toBe("invalid_argument");
      // HTTP clients get Azure's own body; gRPC clients Azure's code (the parameter travels in ErrorInfo, never in a message).
      expect(f.message).toMatch(name === "http" ? /temperature/ : /rejected the request \(code: \w+\)/);
      expect(t.emulator.requests.map((q) => q.status)).toEqual([400]);
    });

    it("Azure's content filter -> 400 content_filter", async () => {
      t.emulator.setFault("gpt-4o", { fault: { kind: "content-filter" } });
      const f = await door().failure(() => door().chat(hello));
      expect(f.kind).toBe("invalid_argument");
      expect(f.message).toMatch(/filtered/);
      if (name === "http") expect(f.code).toBe("content_filter");
    });

    it("Azure's 429 -> 429 with a retry delay", async () => {
      t.emulator.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 3500 } });
      const f = await door().failure(() => door().chat(hello));
      expect(f.kind).toBe("rate_limited");
      expect(f.retryAfterMs).toBe(3500);
    });

    it("Azure's 500 -> 502", async () => {
      t.emulator.setFault("gpt-4o", { fault: { kind: "server-error" } });
      expect((await door().failure(() => door().chat(hello))).kind).toBe("bad_gateway");
    });

    it("Azure's 401 (our credential) -> 502, never the client's fault", async () => {
      t.emulator.setFault("gpt-4o", { fault: { kind: "unauthorized" } });
      const f = await door().failure(() => door().chat(hello));
      expect(f.kind).toBe("bad_gateway");
      expect(f.message).not.toMatch(/test-emulator-key/);
    });

    it("Azure's DeploymentNotFound -> 502 naming the gateway deployment id", async () => {
      const f = await door().failure(() => door().chat({ ...hello, model: "ghost-model" }));
      expect(f.kind).toBe("bad_gateway");
      expect(f.message).toMatch(/deployment 'ghost'/);
      expect(f.message).not.toMatch(/test-emulator-key/);
    });

    it("a field the api-version does not know is Azure's to refuse; the gateway never adds one", async () => {
      const s = await door().stream({ ...hello, model: "gpt-4o-old" }, false);
      expect(s.content.length).toBeGreaterThan(0);
      expect(t.emulator.requests[0]?.body).not.toHaveProperty("stream_options");
      const f = await door().failure(() => door().stream({ ...hello, model: "gpt-4o-old" }, true));
      expect(f.kind).toBe("invalid_argument");
      // HTTP clients get Azure's own answer; gRPC clients its code and parameter.
      expect(f.message).toMatch(name === "http" ? /Unknown parameter: 'stream_options'/ : /code: unknown_parameter/);
    });

    it("a stream cut mid-way ends in an error, never a silent success", async () => {
      t.emulator.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 } });
      const f = await door().failure(() => door().stream(hello, false));
      expect(f.kind).toBe(name === "http" ? "other" : "bad_gateway");
      expect(f.message).toMatch(/upstream stream/i);
    });
  });
});
