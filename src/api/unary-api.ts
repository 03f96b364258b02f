// A proto service as plain async functions of (request, context): both transports serve the same object.
import type { handleUnaryCall, ServiceDefinition } from "@grpc/grpc-js";
import type { CallContext } from "../core/context.js";

export type UnaryApi<S> = {
  [K in keyof S]: S[K] extends handleUnaryCall<infer Req, infer Res> ? (request: Req, ctx: CallContext) => Promise<Res> : never;
};

/** A generated service definition with the functions that implement it. */
export interface UnaryService {
  /** e.g. "aik.v1.AdminService" */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly api: Readonly<Record<string, (request: never, ctx: CallContext) => Promise<unknown>>>;
  /** Methods that can also answer HTTP clients asking for `Accept: text/csv`, by method key. */
  readonly csv?: Readonly<Record<string, (response: never) => string>>;
}
