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
  /**
   * Checks the call's credential alone (UNAUTHENTICATED when missing or invalid). Both transports
   * run it before any byte of the request is read or any field checked; the method then reuses
   * the caller it resolved instead of looking it up again.
   */
  readonly authenticate: (ctx: CallContext) => Promise<void>;
  /** Methods whose credential is in the request itself (Login), by method key: nothing to check first. */
  readonly open: readonly string[];
  /** Methods that can also answer HTTP clients asking for `Accept: text/csv`, by method key. */
  readonly csv?: Readonly<Record<string, (response: never) => string>>;
}

/** Whether the transport must authenticate a call to `key` before it reads or checks the request. */
export function authenticatesFirst(service: UnaryService, key: string): boolean {
  return !service.open.includes(key);
}
