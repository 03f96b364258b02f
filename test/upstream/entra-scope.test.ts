// The Entra audience a deployment's token is asked for follows its cloud, told by the endpoint's host.
import { describe, expect, it } from "vitest";
import { scopeFor } from "../../src/upstream/entra-token.js";

describe("scopeFor", () => {
  it.each([
    ["https://east.openai.azure.com", "https://cognitiveservices.azure.com/.default"],
    ["https://east.cognitiveservices.azure.com/", "https://cognitiveservices.azure.com/.default"],
    ["https://gov.openai.azure.us", "https://cognitiveservices.azure.us/.default"],
    ["https://cn.openai.azure.cn/openai", "https://cognitiveservices.azure.cn/.default"],
    ["http://127.0.0.1:8090", "https://cognitiveservices.azure.com/.default"],
    ["https://apim.example.com/azure", "https://cognitiveservices.azure.com/.default"],
    // A look-alike host is not Azure Government.
    ["https://openai.azure.us.example.com", "https://cognitiveservices.azure.com/.default"],
  ])("%s asks for %s", (endpoint, scope) => {
    expect(scopeFor(endpoint)).toBe(scope);
  });
});
