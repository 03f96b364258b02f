// The data plane over gRPC: a request message becomes its operation's input, one core call, answers become response messages.
import type { handleServerStreamingCall, handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { CallContext } from "../../core/context.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import type { Gateway } from "../../core/gateway.js";
import type { Result, StreamResult } from "../../core/results.js";
import type { ServedMethod } from "../../operations/index.js";
import { contextFor, type GrpcCallScope } from "./call-context.js";
import type { InFlight } from "../in-flight.js";
import { guarded, tolerantDecoding } from "./decoding.js";
import { drained } from "../drained.js";
import { toStatus } from "./errors.js";

/** A deadline that passed turns whatever the core threw (usually "cancelled") into DEADLINE_EXCEEDED. */
function failure(err: unknown, scope: GrpcCallScope): GatewayError {
  if (scope.deadlineExceeded()) return new GatewayError("deadline_exceeded", "The call's deadline passed before it completed.");
  return toGatewayError(err);
}

/** What a gRPC handler reports of failures that are the gateway's own: class and code, never content. */
export type InternalErrorLog = (err: GatewayError, requestId: string) => void;

/** Wraps one core call as a grpc-js unary handler. */
export function unary<Req, Res>(fn: (request: Req, ctx: CallContext) => Promise<Res>, inFlight?: InFlight, log?: InternalErrorLog): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const scope = contextFor(call, inFlight);
    fn(call.request, scope.ctx)
      .then(
        (res) => {
          scope.sendHeaders();
          callback(null, res);
        },
        (err: unknown) => {
          const e = failure(err, scope);
          if (e.code === "internal") log?.(e, scope.ctx.requestId);
          scope.sendHeaders();
          callback(toStatus(e));
        },
      )
      .finally(scope.end);
  };
}

export interface OperationService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/** One grpc-js service per proto service among the served methods. */
export function operationServices(gateway: Gateway, methods: readonly ServedMethod[], inFlight: InFlight, log: InternalErrorLog): Map<string, OperationService> {
  const services = new Map<string, { definition: Record<string, ServedMethod["definition"]>; implementation: UntypedServiceImplementation }>();
  for (const m of methods) {
    let s = services.get(m.service);
    if (!s) {
      s = { definition: {}, implementation: {} };
      services.set(m.service, s);
    }
    s.definition[m.key] = tolerantDecoding(m.definition);
    const run = guarded((ctx) => gateway.authenticate(ctx), (request, ctx) => gateway.run(m.op.parse(m.input(request)), ctx));
    s.implementation[m.key] = m.definition.responseStream ? streaming(run, m, inFlight, log) : unary((req: unknown, ctx) => answer(run, m, req, ctx), inFlight, log);
  }
  return services;
}

/** One core call, authenticated and decoded first (see guarded). */
type Run = (request: unknown, ctx: CallContext) => Promise<Result>;

async function answer(run: Run, m: ServedMethod, request: unknown, ctx: CallContext): Promise<unknown> {
  const result = await run(request, ctx);
  if (result.kind === "stream") {
    result.close();
    throw new GatewayError("internal", "A unary method produced a stream.");
  }
  return m.output(result.json);
}

function streaming(run: Run, m: ServedMethod, inFlight: InFlight, log: InternalErrorLog): handleServerStreamingCall<unknown, unknown> {
  return async (call) => {
    const scope = contextFor(call, inFlight);
    let stream: StreamResult | undefined;
    try {
      const result = await run(call.request, scope.ctx);
      if (result.kind !== "stream") throw new GatewayError("internal", "A streaming method produced a unary answer.");
      stream = result;
      scope.sendHeaders();
      for await (const e of stream) {
        if (call.cancelled) return;
        if (!call.write(m.output(e.json))) await drained(call, ["cancelled", "close"]);
      }
      call.end();
    } catch (err) {
      const e = failure(err, scope);
      if (e.code === "internal") log(e, scope.ctx.requestId);
      if (!call.cancelled) {
        scope.sendHeaders();
        call.emit("error", toStatus(e));
      }
    } finally {
      stream?.close();
      scope.end();
    }
  };
}
