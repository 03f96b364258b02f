// Property: every operation's parse, fed arbitrary bodies, path parameters, queries and route styles, throws nothing but a GatewayError that echoes no input; what it accepts, every later step can read.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import { GatewayError } from "../../src/core/errors.js";
import type { OperationInput, RouteStyle } from "../../src/core/operation.js";
import { servedMethods } from "../../src/operations/index.js";
import { jsonObject, MARK, mostly, requestBody, RUNS, stringsIn, text } from "./arbitraries.js";

const operations = [...new Set(servedMethods.map((m) => m.op))];

const base = { endpoint: "https://r.example", auth: { kind: "api_key", apiKey: "k" }, kind: "standard", priority: 0, weight: 1, region: undefined, price: undefined, apiVersionPolicy: "client", responsesStore: "client" } as const;
const deployments: Deployment[] = [
  { ...base, id: "a", deployment: "a", model: "gpt-4o", apiStyle: "classic", apiVersion: "2024-10-21" },
  { ...base, id: "b", deployment: "b", model: "gpt-4o", apiStyle: "v1", apiVersion: undefined, responsesStore: "never" },
];

const QUERY_NAMES = ["api-version", "stream", "starting_after", "include[]", "limit", "order", "after", "api-key"];
const name = mostly(fc.constantFrom("gpt-4o", "gpt-4o-mini", "text-embedding-3-small"), text);
const query = fc
  .tuple(
    mostly(fc.constantFrom("2024-10-21", "2025-04-01-preview"), text),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), text), fc.oneof(text, fc.constantFrom("true", "false", "10", "asc", "msg_1"))), { maxLength: 3 }),
  )
  .map(([version, pairs]) => new URLSearchParams([["api-version", version], ...pairs]));
const params = fc.record({ deployment: name, model: name, response_id: mostly(fc.constantFrom("resp_abc123", "resp_A1"), text) }, { requiredKeys: ["model", "response_id"] });
const style = fc.constantFrom<RouteStyle>("openai", "azure-v1", "azure-classic");
const input: fc.Arbitrary<OperationInput> = fc.record({
  body: fc.oneof({ arbitrary: requestBody, weight: 6 }, { arbitrary: jsonObject, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 }),
  params,
  query: mostly(fc.constantFrom("2024-10-21", "2025-04-01-preview").map((v) => new URLSearchParams([["api-version", v]])), query),
  style,
});

describe.each(operations.map((op) => [op.name, op] as const))("%s: parse", (_name, op) => {
  it("throws only GatewayError, never echoing the input, and leaves the body as it was", () => {
    fc.assert(
      fc.property(input, (inp) => {
        const before = structuredClone(inp.body);
        try {
          op.parse(inp);
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
          expect(err.message).not.toContain(MARK);
          expect(err.param === undefined || typeof err.param === "string").toBe(true);
          // Only a 4xx the client can act on: parse never blames the server or the upstream.
          expect(["invalid_argument", "not_found", "unauthenticated"]).toContain(err.code);
        }
        expect(inp.body).toEqual(before);
      }),
      RUNS,
    );
  });

  it("what it accepts, the steps after it can read without throwing anything but GatewayError", () => {
    fc.assert(
      fc.property(input, (inp) => {
        let call;
        try {
          call = op.parse(inp);
        } catch (err) {
          if (err instanceof GatewayError) return;
          throw err;
        }
        try {
          // Names that reach an upstream URL were checked: none holds a character that could change it.
          for (const name of [call.model, call.objectId, call.apiVersion]) if (name !== undefined) expect(name).toMatch(/^[A-Za-z0-9._:-]+$/);
          for (const [name] of call.query) expect(name).toMatch(/^[a-z_]+(?:\[\])?$/);
          expect(call.choices).toBeGreaterThanOrEqual(1);
          if (call.maxOutputTokens !== undefined) expect(Number.isSafeInteger(call.maxOutputTokens)).toBe(true);
          if (op.kind !== "catalog") for (const d of deployments) op.upstream(call, d);
          const rough = op.roughPromptTokens(call);
          expect(Number.isFinite(rough) && rough >= 0).toBe(true);
          const prompt = op.promptText(call);
          expect(prompt.texts.every((t) => typeof t === "string")).toBe(true);
          expect(typeof op.outputCapParam(call)).toBe("string");
          // The affinity key is a fixed-form hash or the client's own cache key, never the prompt's text.
          const key = op.affinityKey?.(call);
          if (key !== undefined) expect(key).toMatch(/^(h:[0-9a-z]{1,7}|k:[\s\S]+)$/);
          for (const id of call.references) expect(stringsIn(inp.body)).toContain(id);
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
        }
      }),
      RUNS,
    );
  });
});
