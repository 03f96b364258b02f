// What goes up as the request body: the client's own bytes when the gateway edits nothing, else the edited body written out.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import { RawBody } from "../../src/core/raw-body.js";
import { chatCompletions } from "../../src/operations/chat/operation.js";
import { createResponse } from "../../src/operations/responses/create.js";
import type { Operation } from "../../src/core/operation.js";
import { upstreamPayload } from "../../src/upstream/request-body.js";
import { classicDeployment } from "../support/deployment.js";

const classic = classicDeployment();
const v1: Deployment = { ...classic, apiStyle: "v1", apiVersion: undefined, deployment: "gpt-4o-prod" };

/** The payload for `text` sent by a client over HTTP (bytes kept) and made into the operation's upstream request. */
function payload(op: Operation, text: string, d: Deployment = classic, params: Record<string, string> = {}): Buffer | string | null {
  const body = JSON.parse(text) as never;
  const call = op.parse({ body, raw: new RawBody(Buffer.from(text), text, body), params, query: new URLSearchParams(), style: "openai" });
  return upstreamPayload(d, op.upstream(call, d));
}

const CHAT = '{ "model": "gpt-4o", "messages": [{"role":"user","content":"caf\\u00e9 \\"x\\""}], "max_tokens": 16 }';

describe("upstreamPayload", () => {
  it("an unedited body goes up as the client's bytes, spacing and escapes as sent", () => {
    const out = payload(chatCompletions, CHAT);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(String(out)).toBe(CHAT);
    const stream = '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}';
    expect(String(payload(chatCompletions, stream))).toBe(stream);
  });

  it("a body the gateway edits goes up written out: the usage event asked for, the deployment as model, store: false", () => {
    const stream = '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":true}';
    expect(JSON.parse(String(payload(chatCompletions, stream)))).toMatchObject({ stream_options: { include_usage: true } });
    expect(JSON.parse(String(payload(chatCompletions, CHAT, v1)))).toMatchObject({ model: "gpt-4o-prod" });
    const stored = '{"model":"gpt-4o","input":"x","store":true}';
    expect(String(payload(createResponse, stored))).toBe(stored);
    expect(JSON.parse(String(payload(createResponse, stored, { ...classic, responsesStore: "never" })))).toMatchObject({ store: false });
  });

  it("a key sent twice goes up once, as the gateway read it: no parser upstream can take the other", () => {
    const twice = '{"model":"gpt-4o","max_tokens":100000,"messages":[{"role":"user","content":"x"}],"max_tokens":16}';
    const out = payload(chatCompletions, twice);
    expect(typeof out).toBe("string");
    expect(out).toBe('{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"x"}]}');
  });
});
