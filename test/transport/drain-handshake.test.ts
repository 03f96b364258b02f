// A drain over TLS waits for a connection still in its handshake: a load balancer sends its request the moment the handshake ends, and that request is answered, not cut.
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { connect as tcpConnect } from "node:net";
import { dirname } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { Connections } from "../../src/transport/http/connections.js";
import { InFlight } from "../../src/transport/in-flight.js";
import { selfSigned } from "../support/tls.js";
import { until } from "../support/usage-db.js";

let server: Server | undefined;
let certDir: string | undefined;
afterAll(() => {
  server?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function openConnections(s: Server): Promise<number> {
  return new Promise((resolve, reject) => s.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

describe("draining over TLS", () => {
  it("a connection accepted before the listener closed but not yet through its handshake is waited for, and its request answered", async () => {
    const { certFile, keyFile } = selfSigned();
    certDir = dirname(certFile);
    const s = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
    server = s;
    // The same bookkeeping the HTTP front door does around each request.
    const connections = new Connections(s);
    s.on("request", (req, res) => {
      connections.acquire(req.socket);
      res.on("close", () => connections.release(req.socket));
      res.end("answered");
    });
    s.listen(0, "127.0.0.1");
    await once(s, "listening");
    const address = s.address();
    if (address === null || typeof address === "string") throw new Error("no port");

    // Accepted by the server, handshake not begun: the drain starts now.
    const raw = tcpConnect(address.port, "127.0.0.1");
    await once(raw, "connect");
    await until("the server accepted the connection", async () => (await openConnections(s)) === 1, 5_000);
    let drained = false;
    const draining = connections.close(10_000, new InFlight()).then(() => (drained = true));
    // Longer than the quiet spell after which the drain closes an idle connection.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(drained).toBe(false);

    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    await once(secure, "secureConnect");
    let answer = "";
    secure.on("data", (d: Buffer) => (answer += d.toString()));
    secure.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await once(secure, "close");
    expect(answer.startsWith("HTTP/1.1 200")).toBe(true);
    expect(answer.endsWith("answered")).toBe(true);
    await draining;
    expect(drained).toBe(true);
  });
});
