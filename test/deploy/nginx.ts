// nginx (Debian nginx-light) as the load balancer in front of gateway replicas: its config, written to a temp dir, and its process.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Upstream {
  readonly httpPort: number;
  readonly grpcPort: number;
}

export interface BalancerPorts {
  /** Where clients send HTTP/1.1 (the OpenAI API, the control plane). */
  readonly http: number;
  /** Where gRPC clients connect (HTTP/2 without TLS). */
  readonly grpc: number;
}

/** What nginx needs beyond the ports: the certificate the replicas serve (nginx verifies it), and its upstream idle timeout. */
export interface BalancerOptions {
  /** The replicas' certificate (or its CA): nginx speaks TLS to them and verifies it for 127.0.0.1. */
  readonly trustedCert: string;
  /** nginx's idle timeout for upstream keep-alive connections, in seconds: below 5 (the gateway's own) and below server.shutdown_delay_ms. */
  readonly keepaliveTimeoutS: number;
}

/**
 * The config an operator would run (README, "Running in production"), with a test's paths. Why:
 * - TLS to the replicas (`https://`, `grpcs://`): a connection the kernel queued for a replica whose
 *   listener then closes (it is draining) is reset. In plain text nginx has already written the
 *   request on it and, the request being a POST, answers 502; over TLS the reset comes during the
 *   handshake, before any request byte, and nginx tries the next replica.
 * - upstream `keepalive` with `keepalive_timeout` below the gateway's own idle timeout (Node's 5 s)
 *   and below `server.shutdown_delay_ms`: nginx, not the gateway, closes an idle upstream connection,
 *   so it never writes a request on one the gateway is closing; while a replica drains every answer
 *   says `Connection: close`, so when its listener closes nginx holds no idle connection to it.
 * - `max_fails=1 fail_timeout=2s`: passive health. Open-source nginx cannot probe /readyz; a replica
 *   that refuses connections (draining past its delay, stopped, restarting) is skipped for 2 s.
 * - `proxy_next_upstream error timeout` (nginx's default, written out) and no `non_idempotent`: a
 *   request goes to the next replica only when no byte of it reached the last one; a POST that
 *   reached a replica is never replayed, so it is never run (or billed) twice.
 * - `proxy_buffering off`: SSE chunks go out as they come; HTTP/1.1 with an empty Connection
 *   header for upstream keep-alive; X-Forwarded-For appended (the gateway's trusted_proxies: 1).
 * - gRPC: `grpc_pass` from an HTTP/2 listener; its upstream has no keepalive, so every call has its
 *   own connection and a draining replica's GOAWAY never meets a call nginx is starting on a reused one.
 */
export function nginxConfig(dir: string, ports: BalancerPorts, upstreams: readonly Upstream[], options: BalancerOptions): string {
  const servers = (port: (u: Upstream) => number): string => upstreams.map((u) => `    server 127.0.0.1:${port(u)} max_fails=1 fail_timeout=2s;`).join("\n");
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  log_format upstreams '$msec $status $request_method $uri $upstream_addr $upstream_status $upstream_http_x_request_id';
  access_log ${dir}/access.log upstreams;

  upstream aik_http {
${servers((u) => u.httpPort)}
    keepalive 32;
    keepalive_timeout ${options.keepaliveTimeoutS}s;
  }
  upstream aik_grpc {
${servers((u) => u.grpcPort)}
  }

  server {
    listen 127.0.0.1:${ports.http};
    location / {
      proxy_pass https://aik_http;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_next_upstream error timeout;
      proxy_ssl_trusted_certificate ${options.trustedCert};
      proxy_ssl_verify on;
      proxy_ssl_name 127.0.0.1;
      proxy_ssl_session_reuse on;
    }
  }
  server {
    listen 127.0.0.1:${ports.grpc} http2;
    location / {
      grpc_pass grpcs://aik_grpc;
      grpc_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      grpc_read_timeout 300s;
      grpc_next_upstream error timeout;
      grpc_ssl_trusted_certificate ${options.trustedCert};
      grpc_ssl_verify on;
      grpc_ssl_name 127.0.0.1;
      grpc_ssl_session_reuse on;
    }
  }
}
`;
}

export interface Nginx {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  /** The access log: one line per request, `$msec $status $method $uri $upstream_addr $upstream_status $x_request_id`. */
  accessLog(): string;
  errorLog(): string;
  /** Stops nginx and removes its directory. */
  close(): Promise<void>;
}

/** Fails loudly when nginx is not installed: the rolling-restart test needs a real load balancer. */
export function nginxBinary(): string {
  try {
    return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("nginx is not installed: the rolling-restart test needs it as the load balancer (apt-get install nginx-light; scripts/system-packages.sh installs it)");
  }
}

export async function startNginx(ports: BalancerPorts, upstreams: readonly Upstream[], options: BalancerOptions): Promise<Nginx> {
  const binary = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), "aik-nginx-"));
  // Run as root, nginx's workers drop to nobody: they must be able to enter the directory.
  chmodSync(dir, 0o755);
  const configFile = join(dir, "nginx.conf");
  writeFileSync(configFile, nginxConfig(dir, ports, upstreams, options));
  const read = (name: string): string => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch {
      return "";
    }
  };
  let stderr = "";
  const child: ChildProcess = spawn(binary, ["-p", dir, "-c", configFile, "-e", join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  // "close", not "exit": by then everything nginx wrote to stderr has been read.
  const exited = new Promise<void>((done) => child.once("close", () => done()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      Promise.all([listening(ports.http), listening(ports.grpc)]),
      exited.then(() => {
        throw new Error(`nginx exited at start:\n${stderr}${read("error.log")}`);
      }),
    ]);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    httpUrl: `http://127.0.0.1:${ports.http}`,
    grpcAddress: `127.0.0.1:${ports.grpc}`,
    accessLog: () => read("access.log"),
    errorLog: () => read("error.log"),
    close,
  };
}

/** Resolves once something accepts TCP connections on the port (10 s at most). */
async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after 10 s`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
