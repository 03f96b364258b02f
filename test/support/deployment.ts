// One deployment for tests that build their own: a classic Azure deployment of gpt-4o with an API key, every optional
// setting at its default; a test names only what it is about.
import type { Deployment } from "../../src/core/deployments.js";

export function classicDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: "gpt-4o",
    endpoint: "https://r.openai.azure.com",
    deployment: "gpt-4o",
    model: "gpt-4o",
    auth: { kind: "api_key", apiKey: "k" },
    apiStyle: "classic",
    apiVersion: "2024-10-21",
    apiVersionPolicy: "client",
    responsesStore: "client",
    kind: "standard",
    priority: 0,
    weight: 1,
    region: undefined,
    price: undefined,
    ...overrides,
  };
}
