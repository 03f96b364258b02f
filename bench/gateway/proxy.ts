// The floor for any Node gateway: a bare node:http server forwarding each request to one origin through an undici Pool.
// Run: node --import tsx bench/gateway/proxy.ts <upstream origin> <connections>; prints "proxy listening on <url>".
import { createServer } from "node:http";
import { Pool } from "undici";

const [upstream, connectionsArg] = process.argv.slice(2);
const connections = Number(connectionsArg);
if (!upstream || !Number.isInteger(connections) || connections < 1) {
  throw new Error("usage: proxy.ts <upstream origin, e.g. http://127.0.0.1:8090> <connections, e.g. 128>");
}

// Hop-by-hop headers belong to one connection and are not forwarded (RFC 9110 section 7.6.1).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"]);

function forwarded(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

const pool = new Pool(upstream, { connections });

const server = createServer((req, res) => {
  pool.request({ method: req.method ?? "GET", path: req.url ?? "/", headers: forwarded(req.headers), body: req }).then(
    (up) => {
      res.writeHead(up.statusCode, forwarded(up.headers));
      up.body.on("error", () => res.destroy()).pipe(res);
    },
    () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    },
  );
});

server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("proxy: no TCP address");
  console.log(`proxy listening on http://127.0.0.1:${address.port}`);
});

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
