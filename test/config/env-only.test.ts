// Env-only mode end to end: AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_API_KEY, the model name used as the deployment name.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { EMULATOR_KEY, startTestGateway } from "../support/gateway.js";
import { gatewaySdk } from "../support/sdk.js";

describe.each(["v1", "classic"])("env-only mode, %s style", (style) => {
  it("sends each model to the deployment of the same name", async () => {
    const t = await startTestGateway({}, (c) => {
      if (c.mode.kind !== "deployments") throw new Error("unexpected mode");
      const endpoint = c.mode.deployments[0]?.endpoint ?? "";
      const env = { AZURE_OPENAI_ENDPOINT: endpoint, AZURE_OPENAI_API_KEY: EMULATOR_KEY, AZURE_OPENAI_API_STYLE: style };
      return { ...c, mode: loadConfig(env).mode };
    });
    try {
      const client = gatewaySdk(t);
      const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
      expect(r.choices[0]?.message.content).toBeTruthy();
      const seen = t.emulator.requests.at(-1);
      expect(seen?.deployment).toBe("gpt-4o-mini");
      expect(seen?.path).toBe(style === "v1" ? "/openai/v1/chat/completions" : "/openai/deployments/gpt-4o-mini/chat/completions");
      // A name Azure does not have is Azure's 404, reported as the gateway's 502 naming it.
      await expect(client.chat.completions.create({ model: "no-such-deployment", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 502 });
      // An unsafe name never becomes a URL.
      await expect(client.chat.completions.create({ model: "../admin", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 400 });
    } finally {
      await t.close();
    }
  });
});
