// Transport security: the TLS floor on both ports, /metrics never public in production, CORS off unless origins are listed.
import { connect as tlsConnect } from "node:tls";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica } from "../support/gateway-process.js";
import { selfSigned } from "../support/tls.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

/** The protocol a client limited to `version` at most (and to `ciphers`, if given) gets, or the handshake error. */
function handshake(host: string, port: number, version: "TLSv1.2" | "TLSv1.3", alpn?: string[], ciphers?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, maxVersion: version, rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}), ...(ciphers ? { ciphers } : {}) }, () => {
      resolve(socket.getProtocol() ?? "unknown");
      socket.destroy();
    });
    socket.on("error", (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}`));
  });
}

describe("TLS floor", () => {
  it("TLS 1.2 is the default floor; with min_version TLSv1.3 a 1.2 client is refused on the HTTP and the gRPC port", async () => {
    const files = selfSigned();
    // Members are provisioned over HTTPS: trust the self-signed certificate for the start only.
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    let strict: TestGateway | undefined;
    let relaxed: TestGateway | undefined;
    try {
      relaxed = await startTestGateway({ tls: { ...files, minVersion: "TLSv1.2" } });
      strict = await startTestGateway({ tls: { ...files, minVersion: "TLSv1.3" } });
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
    try {
      const port = (url: string): number => Number(new URL(url.includes("://") ? url : `https://${url}`).port);
      expect(await handshake("127.0.0.1", port(relaxed.httpUrl), "TLSv1.2")).toBe("TLSv1.2");
      expect(await handshake("127.0.0.1", port(relaxed.grpcAddress), "TLSv1.2", ["h2"])).toBe("TLSv1.2");
      // Only AEAD suites with forward secrecy: a client offering nothing but a CBC suite finds none.
      expect(await handshake("127.0.0.1", port(relaxed.httpUrl), "TLSv1.2", undefined, "ECDHE-RSA-AES128-SHA256")).toMatch(/^error/);
      expect(await handshake("127.0.0.1", port(relaxed.grpcAddress), "TLSv1.2", ["h2"], "ECDHE-RSA-AES128-SHA256")).toMatch(/^error/);
      expect(await handshake("127.0.0.1", port(strict.httpUrl), "TLSv1.2")).toMatch(/^error/);
      expect(await handshake("127.0.0.1", port(strict.grpcAddress), "TLSv1.2", ["h2"])).toMatch(/^error/);
      // TLS 1.3 clients still get through on both ports.
      expect(await handshake("127.0.0.1", port(strict.httpUrl), "TLSv1.3")).toBe("TLSv1.3");
      expect(await handshake("127.0.0.1", port(strict.grpcAddress), "TLSv1.3", ["h2"])).toBe("TLSv1.3");
    } finally {
      await strict.close();
      await relaxed.close();
    }
  });
});

describe("/metrics", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it("needs the operator token when one is set, and is not served at all in production mode without one", async () => {
    const withToken = await startReplica(t);
    const production = await startReplica(t, { AIK_ENV: "production", AIK_ADMIN_TOKEN: "" });
    try {
      const anonymous = await request(`${withToken.httpUrl}/metrics`);
      expect(anonymous.statusCode).toBe(401);
      await anonymous.body.text();
      const operator = await request(`${withToken.httpUrl}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(operator.statusCode).toBe(200);
      expect(await operator.body.text()).toContain("# HELP");
      const open = await request(`${production.httpUrl}/metrics`);
      expect(open.statusCode).toBe(404);
      expect(await open.body.json()).toMatchObject({ error: { message: expect.stringMatching(/operator token/) } });
    } finally {
      await withToken.stop();
      await production.stop();
    }
  });
});

describe("CORS", () => {
  const APP = "https://app.example.com";
  let on: TestGateway;
  let off: TestGateway;
  beforeAll(async () => {
    on = await startTestGateway({ corsOrigins: [APP] });
    off = await startTestGateway();
  });
  afterAll(async () => {
    await on.close();
    await off.close();
  });

  const preflight = (base: string, origin: string) =>
    request(`${base}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });

  it("answers a listed origin's preflight and marks its answers; never allows credentials", async () => {
    const res = await preflight(on.httpUrl, APP);
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(APP);
    expect(String(res.headers["access-control-allow-methods"])).toContain("POST");
    expect(String(res.headers["access-control-allow-headers"])).toContain("authorization");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    await res.body.text();
    const answer = await request(`${on.httpUrl}/v1/models`, { headers: { origin: APP, authorization: `Bearer ${on.apiKey}` } });
    expect(answer.headers["access-control-allow-origin"]).toBe(APP);
    expect(String(answer.headers["access-control-expose-headers"])).toContain("x-request-id");
    expect(answer.headers["access-control-allow-credentials"]).toBeUndefined();
    await answer.body.text();
  });

  it("gives an unlisted origin no CORS header at all, and with no origins configured CORS is off", async () => {
    const stranger = await preflight(on.httpUrl, "https://evil.example");
    expect(stranger.headers["access-control-allow-origin"]).toBeUndefined();
    await stranger.body.text();
    const answer = await request(`${on.httpUrl}/v1/models`, { headers: { origin: "https://evil.example", authorization: `Bearer ${on.apiKey}` } });
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
    await answer.body.text();
    const disabled = await preflight(off.httpUrl, APP);
    expect(disabled.statusCode).toBe(405);
    expect(disabled.headers["access-control-allow-origin"]).toBeUndefined();
    await disabled.body.text();
  });
});
