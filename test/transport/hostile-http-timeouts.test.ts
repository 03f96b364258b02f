// Slow clients over HTTP (slowloris): headers or a body trickled a byte a second are cut at the configured timeouts with a 408 in the OpenAI shape.
import { connect, type Socket } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NATURAL_COMPLETION_WORDS } from "../../src/emulator/tokens.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { CANARY, envelopeOf, expectCleanLogs, expectRefusal, type Answer } from "./hostile-wire.js";

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 3000;
// Node checks its timers on an interval: allow that much past the configured value, and no more.
const SLACK_MS = 2500;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
});
afterAll(() => t.close());

interface Trickled {
  readonly answer: Answer | undefined;
  readonly elapsedMs: number;
  /** Bytes the client got to write before the server closed. */
  readonly written: number;
}

/** Sends `head` at once, then `slow` one byte a second, until the server answers or closes (or the bound passes). */
function trickle(head: string, slow: string, boundMs: number): Promise<Trickled> {
  const url = new URL(t.httpUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(url.port), url.hostname);
    let received = "";
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearInterval(timer);
      clearTimeout(bound);
      socket.destroy();
      resolve({ answer: parse(received), elapsedMs: Date.now() - started, written });
    };
    const bound = setTimeout(finish, boundMs);
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (written < slow.length && socket.writable) socket.write(slow[written++] ?? "");
      }, 1000);
    });
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    socket.on("error", finish);
    socket.on("close", finish);
  });
}

function parse(raw: string): Answer | undefined {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  if (!m) return undefined;
  const end = raw.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, end).split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const text = raw.slice(end + 4);
  return { status: Number(m[1]), headers, text, json: envelopeOf(text) };
}

describe("slow clients", () => {
  it("headers trickled one byte a second get a 408 at the headers timeout and the connection closes", async () => {
    const r = await trickle("", `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Canary: ${CANARY}\r\nAuthorization: Bearer ${t.apiKey}\r\n\r\n`, HEADERS_TIMEOUT_MS + SLACK_MS + 3000);
    expect(r.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(r.answer, "an answer before the close").toBeDefined();
    if (r.answer) expectRefusal(r.answer, 408);
  });

  it("a body trickled one byte a second gets a 408 at the request timeout", async () => {
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: CANARY }] });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await trickle(head, body, REQUEST_TIMEOUT_MS + SLACK_MS + 3000);
    expect(r.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(r.written).toBeLessThan(body.length);
    expect(r.answer, "an answer before the close").toBeDefined();
    if (r.answer) expectRefusal(r.answer, 408);
    expect(t.emulator.requests.filter((q) => q.path.includes("chat"))).toHaveLength(0);
  });

  it("a body announced and never sent gets a 408 at the request timeout", async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`;
    const r = await trickle(head, "", REQUEST_TIMEOUT_MS + SLACK_MS + 3000);
    expect(r.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(r.answer, "an answer before the close").toBeDefined();
    if (r.answer) expectRefusal(r.answer, 408);
  });

  it("a connection that never sends a byte is closed at the headers timeout", async () => {
    const r = await trickle("", "", HEADERS_TIMEOUT_MS + SLACK_MS + 3000);
    expect(r.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("an answer that streams for longer than the request timeout is not cut: the timeout bounds the request, not the answer", async () => {
    t.emulator.setTiming({ answerWords: 40, chunkDelayMs: 100 });
    try {
      const started = Date.now();
      const res = await request(`${t.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "count" }] }),
      });
      const text = await res.body.text();
      expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS);
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    } finally {
      t.emulator.setTiming({ answerWords: NATURAL_COMPLETION_WORDS, chunkDelayMs: 0 });
    }
  });

  it("logs hold no canary and no forged line", () => {
    expectCleanLogs(t.logs);
  });
});
