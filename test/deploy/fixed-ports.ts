// Ports a replica keeps across restarts: below the kernel's ephemeral range, so no outgoing connection takes one while its replica is down.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The first port the kernel hands out to outgoing connections (32768 when /proc does not say). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2048 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * `n` distinct ports nobody listens on now, drawn at random from below the ephemeral range: a port
 * from port 0 is an ephemeral one, which nginx's own connections to the other replicas may take as
 * their local port while the replica that owns it restarts (EADDRINUSE).
 */
export async function fixedPorts(n: number): Promise<number[]> {
  const top = ephemeralStart();
  const bottom = Math.max(1024, top - 12_000);
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 1000) throw new Error(`no ${n} free ports between ${bottom} and ${top}`);
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (!ports.includes(port) && (await canListen(port))) ports.push(port);
  }
  return ports;
}
