// The gRPC front door: the data plane's services, the control plane's, health and reflection, so grpcurl and buf curl need no .proto files.
import { readFileSync } from "node:fs";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { UnaryService } from "../../api/unary-api.js";
import { HealthService } from "../../../gen/grpc/health/v1/health.js";
import { ServerReflectionService as ReflectionV1 } from "../../../gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionService as ReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection.js";
import type { Gateway } from "../../core/gateway.js";
import type { Readiness } from "../../core/readiness.js";
import type { ServedMethod } from "../../operations/index.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { operationServices, unary } from "./operation-service.js";
import { healthService } from "./health.js";
import { reflectionHandler } from "./reflection.js";

export interface GrpcOptions {
  readonly maxMessageBytes: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
}

export interface GrpcDeps {
  readonly gateway: Gateway;
  readonly schema: ApiSchema;
  readonly readiness: Readiness;
  /** The data plane: proto methods served from operations. */
  readonly methods: readonly ServedMethod[];
  /** Unary services (AdminService, AuthService) served from the same functions as their HTTP routes. */
  readonly services?: readonly UnaryService[];
}

export function createGrpcServer(deps: GrpcDeps, options: GrpcOptions): Server {
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.keepalive_permit_without_calls": 1,
  });
  for (const [name, s] of operationServices(deps.gateway, deps.methods)) {
    checkComplete(deps.schema, name, Object.keys(s.definition));
    server.addService(s.definition, s.implementation);
  }
  for (const s of deps.services ?? []) server.addService(s.definition, unaryImplementation(s));
  const served = deps.schema.services;
  server.addService(HealthService, healthService(deps.readiness, served));
  const reflect = reflectionHandler(deps.schema, served);
  server.addService(ReflectionV1, { serverReflectionInfo: reflect });
  server.addService(ReflectionV1Alpha, { serverReflectionInfo: reflect });
  return server;
}

/** A data-plane service answers every method its proto declares, or the gateway does not start. */
function checkComplete(schema: ApiSchema, service: string, keys: readonly string[]): void {
  const desc = schema.registry.getService(service);
  if (!desc) throw new Error(`${service} is not in gen/aik.binpb: run npm run generate.`);
  for (const method of desc.methods) {
    const key = method.name.charAt(0).toLowerCase() + method.name.slice(1);
    if (!keys.includes(key)) throw new Error(`${service}/${method.name} has no operation: add it to src/operations.`);
  }
}

export function grpcCredentials(options: GrpcOptions): ServerCredentials {
  if (!options.tls) return ServerCredentials.createInsecure();
  const cert = readFileSync(options.tls.certFile);
  const key = readFileSync(options.tls.keyFile);
  return ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}

export function bindGrpc(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function unaryImplementation(service: UnaryService): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(service.api)) {
    // grpc-js decodes each request with this method's generated deserializer, so it has the method's input type.
    implementation[name] = unary((request: unknown, ctx) => fn(request as never, ctx));
  }
  return implementation;
}
