// Strict-Transport-Security: sent over TLS and in production mode, on answers and on errors alike; not over plain HTTP.
import { describe, expect, it } from "vitest";
import { Agent, getGlobalDispatcher, request, setGlobalDispatcher } from "undici";
import { selfSigned } from "../support/tls.js";
import { startTestGateway } from "../support/gateway.js";

async function headersOf(url: string, dispatcher?: Agent): Promise<Record<string, string | string[] | undefined>> {
  const res = await request(url, dispatcher ? { dispatcher } : {});
  await res.body.text();
  return res.headers;
}

describe("Strict-Transport-Security", () => {
  it("is sent over TLS, on a 200 and on a 404", async () => {
    // The certificate is self-signed: trust it for this test (the test gateway provisions a user over HTTPS too).
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(insecure);
    const t = await startTestGateway({ tls: { ...selfSigned(), minVersion: "TLSv1.2" } }).finally(() => setGlobalDispatcher(previous));
    try {
      expect(t.httpUrl.startsWith("https://")).toBe(true);
      for (const path of ["/healthz", "/no/such/route"]) {
        expect((await headersOf(`${t.httpUrl}${path}`, insecure))["strict-transport-security"]).toMatch(/max-age=\d+/);
      }
    } finally {
      await insecure.close();
      await t.close();
    }
  });

  it("is sent in production mode behind a TLS-terminating proxy, and not in plain development mode", async () => {
    const prod = await startTestGateway({ production: true });
    const dev = await startTestGateway();
    try {
      expect((await headersOf(`${prod.httpUrl}/v1/models`))["strict-transport-security"]).toMatch(/includeSubDomains/);
      expect((await headersOf(`${dev.httpUrl}/v1/models`))["strict-transport-security"]).toBeUndefined();
    } finally {
      await prod.close();
      await dev.close();
    }
  });
});
