// The gRPC front door: the data plane's services, the control plane's, health and reflection, so grpcurl and buf curl need no .proto files.
import { readFileSync } from "node:fs";
import type { DescMethod } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { InFlight } from "../in-flight.js";
import { TLS_CIPHERS } from "../tls-ciphers.js";
import { errorFields, type Logger } from "../../telemetry/logger.js";
import { authenticatesFirst, type UnaryService } from "../../api/unary-api.js";
import { HealthService } from "../../../gen/grpc/health/v1/health.js";
import { ServerReflectionService as ReflectionV1 } from "../../../gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionService as ReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection.js";
import type { CallContext } from "../../core/context.js";
import type { Gateway } from "../../core/gateway.js";
import type { Readiness } from "../../core/readiness.js";
import type { ServedMethod } from "../../operations/index.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { guarded, tolerantDecoding } from "./decoding.js";
import { directCalls } from "./direct-call.js";
import { operationServices, unary, type InternalErrorLog } from "./operation-service.js";
import { healthService } from "./health.js";
import { reflectionHandler } from "./reflection.js";

export interface GrpcOptions {
  readonly maxMessageBytes: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly minVersion: "TLSv1.2" | "TLSv1.3" } | undefined;
}

export interface GrpcDeps {
  readonly gateway: Gateway;
  readonly schema: ApiSchema;
  readonly readiness: Readiness;
  /** The data plane: proto methods served from operations. */
  readonly methods: readonly ServedMethod[];
  /** Unary services (AdminService, AuthService) served from the same functions as their HTTP routes. */
  readonly services?: readonly UnaryService[];
  readonly logger: Logger;
}

export interface GrpcFrontDoor {
  readonly server: Server;
  /** Stops taking calls (GOAWAY), lets the open ones finish, ends the rest as UNAVAILABLE at the deadline. */
  close(graceMs: number): Promise<void>;
}

/** At the deadline, calls ended as a shutdown get this long to send their status before the connections go. */
const LAST_WORDS_MS = 250;

export function createGrpcServer(deps: GrpcDeps, options: GrpcOptions): GrpcFrontDoor {
  const inFlight = new InFlight();
  const log = (err: { cause?: unknown }, requestId: string): void => deps.logger.error("grpc.internal_error", { request_id: requestId, ...errorFields(err.cause) });
  const { services, direct } = operationServices(deps.gateway, deps.schema, deps.methods, inFlight, log);
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.keepalive_permit_without_calls": 1,
    // Nothing reads channelz (no channelz service is offered); on, it costs closures and clock reads per call and per message.
    "grpc.enable_channelz": 0,
    interceptors: [directCalls(direct)],
  });
  for (const [name, s] of services) {
    checkComplete(deps.schema, name, Object.keys(s.definition));
    server.addService(s.definition, s.implementation);
  }
  for (const s of deps.services ?? []) server.addService(tolerantService(s.definition), unaryImplementation(s, inFlight, log));
  const served = deps.schema.services;
  server.addService(HealthService, healthService(deps.readiness, served));
  const reflect = reflectionHandler(deps.schema, served);
  server.addService(ReflectionV1, { serverReflectionInfo: reflect });
  server.addService(ReflectionV1Alpha, { serverReflectionInfo: reflect });
  return {
    server,
    close: (graceMs) =>
      new Promise((resolve) => {
        const force = setTimeout(() => {
          inFlight.endAll();
          setTimeout(() => server.forceShutdown(), LAST_WORDS_MS);
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** A data-plane service answers every method its proto declares, or the gateway does not start. */
function checkComplete(schema: ApiSchema, service: string, keys: readonly string[]): void {
  for (const { method, key } of protoMethods(schema, service)) {
    if (!keys.includes(key)) throw new Error(`${service}/${method.name} has no operation: add it to src/operations.`);
  }
}

/**
 * The methods the proto declares for `service`, each with its key in the generated grpc-js
 * definition ("CreateUser" -> "createUser"); a service missing from the descriptors stops the start.
 */
export function protoMethods(schema: ApiSchema, service: string): Array<{ readonly method: DescMethod; readonly key: string }> {
  const desc = schema.registry.getService(service);
  if (!desc) throw new Error(`${service} is not in gen/aik.binpb: run npm run generate.`);
  return desc.methods.map((method) => ({ method, key: method.name.charAt(0).toLowerCase() + method.name.slice(1) }));
}

export function grpcCredentials(options: GrpcOptions): ServerCredentials {
  if (!options.tls) return ServerCredentials.createInsecure();
  return new TlsCredentials(readFileSync(options.tls.certFile), readFileSync(options.tls.keyFile), options.tls.minVersion);
}

/**
 * TLS for the gRPC port with a minimum protocol version: createSsl has no such option, but grpc-js
 * passes a credential's constructor options to http2.createSecureServer, which takes minVersion.
 */
class TlsCredentials extends ServerCredentials {
  constructor(cert: Buffer, key: Buffer, minVersion: "TLSv1.2" | "TLSv1.3") {
    super({ minVersion, ciphers: TLS_CIPHERS }, { cert, key });
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export function bindGrpc(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Every method of a generated service definition with a deserializer that never throws (see decoding.ts). */
function tolerantService(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(Object.entries(definition).map(([key, method]) => [key, tolerantDecoding(method)]));
}

/**
 * The control plane's methods. The credential in the metadata is checked before the method sees
 * the message, so an unauthenticated caller gets UNAUTHENTICATED, never a validation error (Login,
 * whose credential is the message, is the exception the service declares).
 */
function unaryImplementation(service: UnaryService, inFlight?: InFlight, log?: InternalErrorLog): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(service.api)) {
    const authenticate = authenticatesFirst(service, name) ? (ctx: CallContext) => service.authenticate(ctx) : undefined;
    // grpc-js decodes each request with this method's generated deserializer, so it has the method's input type.
    implementation[name] = unary(guarded(authenticate, (request, ctx) => fn(request as never, ctx)), inFlight, log);
  }
  return implementation;
}
