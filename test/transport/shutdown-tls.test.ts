// Draining over TLS: a slow stream already in flight when the gateway closes is answered to the end, and the close does not wait out the grace period.
import { Agent, getGlobalDispatcher, request, setGlobalDispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { selfSigned } from "../support/tls.js";
import { startTestGateway } from "../support/gateway.js";
import { until } from "../support/usage-db.js";

const GRACE_MS = 20_000;

describe("graceful shutdown over TLS", () => {
  it("a stream in flight when the gateway drains finishes with [DONE], and the drain ends long before the grace deadline", async () => {
    // The certificate is self-signed: trust it for this test (the test gateway provisions a user over HTTPS too).
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(insecure);
    const t = await startTestGateway({ tls: { ...selfSigned(), minVersion: "TLSv1.2" }, shutdownGraceMs: GRACE_MS }).finally(() => setGlobalDispatcher(previous));
    let closing: Promise<void> | undefined;
    try {
      expect(t.httpUrl.startsWith("https://")).toBe(true);
      // Sixteen words 150 ms apart: the client sends nothing for far longer than the 500 ms after which a drain closes a quiet connection with no request open.
      t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 150 });
      const res = await request(`${t.httpUrl}/v1/chat/completions`, {
        dispatcher: insecure,
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "A long story" }] }),
      });
      expect(res.statusCode).toBe(200);
      let text = "";
      const read = (async () => {
        for await (const chunk of res.body) text += String(chunk);
      })().then(
        () => "complete",
        (err: unknown) => `cut: ${String(err)}`,
      );
      await until("the stream under way", async () => text.includes("data: "), 10_000);
      const drainStarted = performance.now();
      closing = t.close();
      expect(await read).toBe("complete");
      expect(text.trim().endsWith("data: [DONE]")).toBe(true);
      await closing;
      expect(performance.now() - drainStarted).toBeLessThan(GRACE_MS / 2);
    } finally {
      await (closing ?? t.close());
      await insecure.close();
    }
  });
});
