// A unary answer reaches an HTTP client as Azure's bytes, read for usage only from its end (src/core/json-member.ts):
// whatever the answer's shape, metering counts what JSON.parse would find, and an answer that is no JSON object is a 502
// on both front doors, never forwarded.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { handAzure } from "../support/hand-azure.js";
import { storedRecords, until } from "../support/usage-db.js";
import { classicDeployment } from "../support/deployment.js";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { status } from "@grpc/grpc-js";

let answer = "";
const azure = handAzure();
azure.handler = (req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answer);
  });
};
let t: TestGateway;
beforeAll(async () => {
  const odd = classicDeployment({ id: "odd", deployment: "odd", model: "odd", endpoint: azure.endpoint });
  t = await startTestGateway({}, (c) => (c.mode.kind === "deployments" ? { ...c, mode: { kind: "deployments", deployments: [...c.mode.deployments, odd] } } : c));
}, 60_000);
afterAll(async () => {
  await t?.close();
});
beforeEach(() => t.resetUpstream());

const usage = (prompt: number, completion: number) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
const message = (content: string) => ({ index: 0, finish_reason: "stop", message: { role: "assistant", content } });

async function chat(): Promise<{ status: number; text: string; requestId: string }> {
  const res = await fetch(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}` },
    body: JSON.stringify({ model: "odd", messages: [{ role: "user", content: "Hi" }] }),
  });
  return { status: res.status, text: await res.text(), requestId: res.headers.get("x-request-id") ?? "" };
}

async function meteredTokens(requestId: string): Promise<[number, number]> {
  let row: { prompt_tokens: number; completion_tokens: number } | undefined;
  await until("the usage record", async () => {
    row = (await storedRecords(t.databaseUrl)).find((r) => r.request_id === requestId);
    return row !== undefined;
  });
  return [row?.prompt_tokens ?? -1, row?.completion_tokens ?? -1];
}

describe("unary answers read for usage only", () => {
  it("forwards Azure's bytes unchanged and meters the top-level usage, wherever it sits and whatever the text holds", async () => {
    const shapes: [string, [number, number]][] = [
      // Azure's own order: usage last.
      [JSON.stringify({ id: "a", choices: [message("hello")], usage: usage(11, 7) }), [11, 7]],
      // Usage first, then text that looks like a usage key, escaped, and a nested object with a usage key of its own.
      [JSON.stringify({ usage: usage(5, 3), choices: [message('say "usage": {"prompt_tokens": 999}')], extra: { usage: usage(900, 900) } }), [5, 3]],
      // A nested usage after the real one: the parse, not the last occurrence, decides.
      [JSON.stringify({ choices: [message("x")], usage: usage(2, 1), tail: [{ usage: usage(800, 800) }] }), [2, 1]],
      // Pretty-printed, with non-ASCII text.
      [JSON.stringify({ choices: [message("žluťoučký kůň 🐎")], usage: usage(9, 4) }, null, 2), [9, 4]],
    ];
    for (const [text, tokens] of shapes) {
      answer = text;
      const res = await chat();
      expect(res.status).toBe(200);
      expect(res.text).toBe(text);
      expect(await meteredTokens(res.requestId)).toEqual(tokens);
    }
  });

  it("an answer that is no JSON object is a 502 on HTTP and UNAVAILABLE on gRPC, never forwarded", async () => {
    for (const text of ["<html>busy</html>", '{"choices": [], "usage": {"prompt_tokens": 1}', "[1,2]", ""]) {
      answer = text;
      const res = await chat();
      expect(res.status, text).toBe(502);
      expect(res.text).not.toContain("busy");
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: "upstream_bad_response" } });
    }
    answer = "<html>busy</html>";
    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "odd", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Hi" } }] });
    const err = await call(client, client.createChatCompletion, req, bearer(t.apiKey)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.UNAVAILABLE);
    client.close();
  });
});
