// Generated grpc-js clients for the tests, with promise helpers for unary calls and streams.
import { credentials, Metadata, type ServiceError, type CallOptions } from "@grpc/grpc-js";
import { AdminServiceClient } from "../../gen/aik/v1/admin.js";
import { AuthServiceClient } from "../../gen/aik/v1/auth.js";
import { ChatServiceClient } from "../../gen/aik/v1/chat.js";
import { ResponsesServiceClient } from "../../gen/aik/v1/responses.js";

export function chatClient(address: string): ChatServiceClient {
  return new ChatServiceClient(address, credentials.createInsecure());
}

export function responsesClient(address: string): ResponsesServiceClient {
  return new ResponsesServiceClient(address, credentials.createInsecure());
}

export function adminClient(address: string): AdminServiceClient {
  return new AdminServiceClient(address, credentials.createInsecure());
}

export function authClient(address: string): AuthServiceClient {
  return new AuthServiceClient(address, credentials.createInsecure());
}

export function bearer(token: string | undefined): Metadata {
  const md = new Metadata();
  if (token !== undefined) md.set("authorization", `Bearer ${token}`);
  return md;
}

type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, res: Res) => void,
) => unknown;

/** Calls a unary method; resolves with the response or rejects with the ServiceError. */
export function call<Req, Res>(
  client: object,
  method: UnaryMethod<Req, Res>,
  req: Req,
  metadata = new Metadata(),
  options: Partial<CallOptions> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, metadata, options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && "code" in e && "details" in e && "metadata" in e;
}

/** Reads a server stream to its end; rejects with the ServiceError it ends with, if any. */
export function collect<T>(stream: NodeJS.EventEmitter): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on("data", (m: T) => out.push(m));
    stream.on("end", () => resolve(out));
    stream.on("error", reject);
  });
}
