// The data plane over gRPC: a request message becomes its operation's input, one core call, answers become response messages.
import type { DescMethod } from "@bufbuild/protobuf";
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { CallContext } from "../../core/context.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { Result, StreamResult } from "../../core/results.js";
import type { ServedMethod } from "../../operations/index.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { GrpcCallScope } from "./call-context.js";
import type { InFlight } from "../in-flight.js";
import { guarded, tolerantDecoding } from "./decoding.js";
import type { DirectCall, DirectHandler } from "./direct-call.js";
import { toStatus } from "./errors.js";
import { responseSerializer } from "./response-writer.js";

/** A deadline that passed turns whatever the core threw (usually "cancelled") into DEADLINE_EXCEEDED. */
function failure(err: unknown, scope: GrpcCallScope): GatewayError {
  if (scope.deadlineExceeded()) return new GatewayError("deadline_exceeded", "The call's deadline passed before it completed.");
  return toGatewayError(err);
}

/** What a gRPC handler reports of failures that are the gateway's own: class and code, never content. */
export type InternalErrorLog = (err: GatewayError, requestId: string) => void;

/** Wraps one call of the control plane as a grpc-js unary handler (the data plane's calls take directCalls' path). */
export function unary<Req, Res>(fn: (request: Req, ctx: CallContext) => Promise<Res>, inFlight?: InFlight, log?: InternalErrorLog): handleUnaryCall<Req, Res> {
  return (call, callback) => void answerUnary(fn, call, callback, inFlight, log);
}

async function answerUnary<Req, Res>(
  fn: (request: Req, ctx: CallContext) => Promise<Res>,
  call: ServerUnaryCall<Req, Res>,
  callback: sendUnaryData<Res>,
  inFlight: InFlight | undefined,
  log: InternalErrorLog | undefined,
): Promise<void> {
  const scope = new GrpcCallScope(call, inFlight);
  call.on("cancelled", scope.cancel);
  try {
    let res: Res;
    try {
      res = await fn(call.request, scope.ctx);
    } catch (err) {
      const e = failure(err, scope);
      if (e.code === "internal") log?.(e, scope.ctx.requestId);
      scope.sendHeaders();
      callback(toStatus(e));
      return;
    }
    scope.sendHeaders();
    callback(null, res);
  } finally {
    scope.end();
  }
}

export interface OperationService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface OperationServices {
  /** One grpc-js service per proto service among the served methods. */
  readonly services: ReadonlyMap<string, OperationService>;
  /**
   * Every served method, by path, for the directCalls interceptor. Their services carry the
   * methods' definitions (so grpc-js routes, decodes and encodes them) and no implementations:
   * were the interceptor missing, grpc-js would answer UNIMPLEMENTED.
   */
  readonly direct: ReadonlyMap<string, DirectHandler>;
}

export function operationServices(gateway: Gateway, schema: ApiSchema, methods: readonly ServedMethod[], inFlight: InFlight, log: InternalErrorLog): OperationServices {
  const services = new Map<string, { definition: Record<string, ServedMethod["definition"]>; implementation: UntypedServiceImplementation }>();
  const direct = new Map<string, DirectHandler>();
  for (const m of methods) {
    let s = services.get(m.service);
    if (!s) {
      s = { definition: {}, implementation: {} };
      services.set(m.service, s);
    }
    s.definition[m.key] = { ...tolerantDecoding(m.definition), responseSerialize: responseSerializer(describe(schema, m)) };
    const run = guarded((ctx) => gateway.authenticate(ctx), (request, ctx) => gateway.run(m.op.parse(m.input(request)), ctx));
    const serve = m.definition.responseStream ? answerStream : answerDirectUnary;
    direct.set(m.definition.path, (call) => void serve(run, m, call, inFlight, log));
  }
  return { services, direct };
}

/** The descriptor of a served method; one the descriptors lack fails the start. */
function describe(schema: ApiSchema, m: ServedMethod): DescMethod {
  const method = schema.registry.getService(m.service)?.methods.find((d) => `${m.service}/${d.name}` === m.name);
  if (!method) throw new Error(`${m.name} is not in gen/aik.binpb: run npm run generate.`);
  return method;
}

/** One core call, authenticated and decoded first (see guarded). */
type Run = (request: unknown, ctx: CallContext) => Promise<Result>;

async function answerDirectUnary(run: Run, m: ServedMethod, call: DirectCall, inFlight: InFlight, log: InternalErrorLog): Promise<void> {
  const scope = new GrpcCallScope(call, inFlight);
  call.onCancelled(scope.cancel);
  try {
    let message: unknown;
    try {
      const result = await run(call.request, scope.ctx);
      if (result.kind === "stream") {
        result.close();
        throw new GatewayError("internal", "A unary method produced a stream.");
      }
      message = m.output(result.json);
    } catch (err) {
      const e = failure(err, scope);
      if (e.code === "internal") log(e, scope.ctx.requestId);
      scope.sendHeaders();
      call.fail(toStatus(e));
      return;
    }
    scope.sendHeaders();
    // The status follows the message at once: grpc-js's glue waits for the message's socket write first.
    call.write(message);
    call.end();
  } finally {
    scope.end();
  }
}

async function answerStream(run: Run, m: ServedMethod, call: DirectCall, inFlight: InFlight, log: InternalErrorLog): Promise<void> {
  const scope = new GrpcCallScope(call, inFlight);
  call.onCancelled(scope.cancel);
  let stream: StreamResult | undefined;
  try {
    const result = await run(call.request, scope.ctx);
    if (result.kind !== "stream") throw new GatewayError("internal", "A streaming method produced a unary answer.");
    stream = result;
    scope.sendHeaders();
    for await (const batch of stream) {
      for (const e of batch) {
        if (call.cancelled) return;
        if (!call.write(m.output(e.json))) await call.drained();
      }
    }
    call.end();
  } catch (err) {
    const e = failure(err, scope);
    if (e.code === "internal") log(e, scope.ctx.requestId);
    if (!call.cancelled) {
      scope.sendHeaders();
      call.fail(toStatus(e));
    }
  } finally {
    stream?.close();
    scope.end();
  }
}
