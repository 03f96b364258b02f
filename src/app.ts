// Starts and stops one gateway: upstream (Azure or the built-in emulator), core, both front doors.
import type { Server as HttpServer } from "node:http";
import { randomBytes } from "node:crypto";
import type { Server as GrpcServer } from "@grpc/grpc-js";
import type { Config } from "./config/config.js";
import type { Deployment } from "./core/deployments.js";
import { createGateway, type Gateway } from "./core/gateway.js";
import { Readiness } from "./core/readiness.js";
import { Router } from "./core/router.js";
import { startEmulator, type Emulator } from "./emulator/index.js";
import { loadApiSchema } from "./schema/api-schema.js";
import type { Logger } from "./telemetry/logger.js";
import { bindGrpc, createGrpcServer, grpcCredentials } from "./transport/grpc/server.js";
import { createHttpServer } from "./transport/http/server.js";
import { AzureUpstream } from "./upstream/azure-client.js";

export interface RunningGateway {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly gateway: Gateway;
  /** The in-process emulator, in zero-config mode. */
  readonly emulator: Emulator | undefined;
  readonly readiness: Readiness;
  /** Drains: stops taking requests, lets in-flight ones finish (up to the grace period), closes. */
  close(): Promise<void>;
}

/** The emulator's deployments in zero-config mode: one of each URL style, plus embeddings. */
async function emulatorDeployments(): Promise<{ emulator: Emulator; deployments: Deployment[] }> {
  const apiKey = randomBytes(24).toString("base64url");
  const emulator = await startEmulator({
    apiKey,
    deployments: [
      { name: "gpt-4o", model: "gpt-4o" },
      { name: "gpt-4o-mini", model: "gpt-4o-mini" },
      { name: "text-embedding-3-small", model: "text-embedding-3-small" },
    ],
  });
  const base = { endpoint: emulator.url, apiKey, priority: 0, region: "Emulator", price: undefined };
  const deployments: Deployment[] = [
    { ...base, id: "gpt-4o", deployment: "gpt-4o", model: "gpt-4o", apiStyle: "classic", apiVersion: "2024-10-21" },
    { ...base, id: "gpt-4o-mini", deployment: "gpt-4o-mini", model: "gpt-4o-mini", apiStyle: "v1", apiVersion: undefined },
    {
      ...base,
      id: "text-embedding-3-small",
      deployment: "text-embedding-3-small",
      model: "text-embedding-3-small",
      apiStyle: "classic",
      apiVersion: "2024-10-21",
    },
  ];
  return { emulator, deployments };
}

export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const schema = loadApiSchema();
  const readiness = new Readiness();
  let emulator: Emulator | undefined;
  let router: Router;
  if (config.mode.kind === "emulator") {
    const started = await emulatorDeployments();
    emulator = started.emulator;
    router = new Router(started.deployments);
  } else if (config.mode.kind === "env") {
    router = new Router([], config.mode.wildcard);
  } else {
    router = new Router(config.mode.deployments);
  }
  const upstream = new AzureUpstream(config.upstream);
  const gateway = createGateway({ router, upstream });

  const http = createHttpServer(
    { gateway, schema, logger, ready: () => readiness.ready },
    { maxBodyBytes: config.maxBodyBytes, production: config.production, tls: config.tls },
  );
  const grpcOptions = { maxMessageBytes: config.maxBodyBytes, tls: config.tls };
  const grpc = createGrpcServer({ gateway, schema, readiness }, grpcOptions);
  const httpPort = await listen(http, config.host, config.httpPort);
  const grpcPort = await bindGrpc(grpc, `${config.host}:${config.grpcPort}`, grpcCredentials(grpcOptions));
  readiness.set(true);

  const scheme = config.tls ? "https" : "http";
  return {
    httpUrl: `${scheme}://${hostForUrl(config.host)}:${httpPort}`,
    grpcAddress: `${hostForUrl(config.host)}:${grpcPort}`,
    gateway,
    emulator,
    readiness,
    close: async () => {
      readiness.set(false);
      await Promise.all([closeHttp(http, config.shutdownGraceMs), closeGrpc(grpc, config.shutdownGraceMs)]);
      await upstream.close();
      await emulator?.close();
    },
  };
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

function closeHttp(server: HttpServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function closeGrpc(server: GrpcServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
