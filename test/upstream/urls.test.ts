// Azure URLs and bodies for each deployment style and scope, and which api-version a request uses.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import type { UpstreamRequest } from "../../src/core/operation.js";
import { upstreamBody } from "../../src/upstream/request-body.js";
import { upstreamPath } from "../../src/upstream/urls.js";
import { classicDeployment } from "../support/deployment.js";

const classic = classicDeployment({ id: "c", deployment: "gpt-4o-prod" });
const v1: Deployment = { ...classic, id: "v", apiStyle: "v1", apiVersion: undefined };
const pinned: Deployment = { ...classic, apiVersionPolicy: "pin" };

const req = (over: Partial<UpstreamRequest>): UpstreamRequest => ({
  method: "POST",
  scope: "deployment",
  path: "chat/completions",
  query: [],
  body: { model: "gpt-4o", messages: [] },
  stream: false,
  apiVersion: undefined,
  askStreamUsage: false,
  ...over,
});

describe("upstreamPath", () => {
  it("puts deployment-scoped calls under the deployment on classic, under /openai/v1 on v1", () => {
    expect(upstreamPath("", classic, req({}))).toBe("/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
    expect(upstreamPath("/apim", v1, req({}))).toBe("/apim/openai/v1/chat/completions");
  });

  it("puts resource-scoped calls (responses) under /openai on classic, with their query encoded", () => {
    const get = req({ method: "GET", scope: "resource", path: "responses/resp_1", body: undefined, query: [["include[]", "a b"], ["starting_after", "3"]] });
    expect(upstreamPath("", classic, get)).toBe("/openai/responses/resp_1?api-version=2024-10-21&include%5B%5D=a+b&starting_after=3");
    expect(upstreamPath("", v1, get)).toBe("/openai/v1/responses/resp_1?include%5B%5D=a+b&starting_after=3");
  });

  it("forwards the client's api-version to a classic deployment unless it pins its own; v1 never takes it", () => {
    expect(upstreamPath("", classic, req({ apiVersion: "2025-04-01-preview" }))).toContain("api-version=2025-04-01-preview");
    expect(upstreamPath("", pinned, req({ apiVersion: "2025-04-01-preview" }))).toContain("api-version=2024-10-21");
    expect(upstreamPath("", v1, req({ apiVersion: "2025-04-01-preview" }))).not.toContain("api-version");
  });
});

describe("upstreamBody", () => {
  it("names the deployment as model on v1 and resource-scoped calls, leaves classic deployment calls alone", () => {
    expect(upstreamBody(v1, req({}))?.model).toBe("gpt-4o-prod");
    expect(upstreamBody(classic, req({ scope: "resource", path: "responses" }))?.model).toBe("gpt-4o-prod");
    const body = { model: "gpt-4o", messages: [] };
    expect(upstreamBody(classic, req({ body }))).toBe(body);
  });

  it("asks for the usage event only where the api-version knows stream_options, keeping the client's options", () => {
    const ask = req({ stream: true, askStreamUsage: true, body: { model: "m", stream: true, stream_options: { other: 1 } } });
    expect(upstreamBody(classic, ask)?.stream_options).toEqual({ other: 1, include_usage: true });
    expect(upstreamBody({ ...classic, apiVersion: "2024-06-01" }, ask)?.stream_options).toEqual({ other: 1 });
    // The client's newer version, forwarded, knows it.
    expect(upstreamBody({ ...classic, apiVersion: "2024-06-01" }, { ...ask, apiVersion: "2024-10-21" })?.stream_options).toEqual({ other: 1, include_usage: true });
    expect(upstreamBody(v1, ask)?.stream_options).toEqual({ other: 1, include_usage: true });
  });
});
