// A proto method served from an operation: the method's generated definition, and its messages as OpenAI JSON and back.
import type { MethodDefinition } from "@grpc/grpc-js";
import type { JsonObject } from "../core/json.js";
import type { Operation, OperationInput } from "../core/operation.js";

/**
 * The HTTP door serves the method's annotated routes with the operation (OpenAI JSON in, Azure's
 * bytes out); the gRPC door turns the request message into the same input and each answer (or
 * stream event) into the response message.
 */
export interface ServedMethod {
  /** "aik.v1.ChatService/CreateChatCompletion" */
  readonly name: string;
  /** ts-proto's key for the method within its service, e.g. "createChatCompletion". */
  readonly key: string;
  readonly service: string;
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly op: Operation;
  input(request: unknown): OperationInput;
  /** A unary answer, or one stream event's data, as the response message. */
  output(json: JsonObject): unknown;
}

/**
 * Ties a generated method to its operation. grpc-js decodes each request with this very method's
 * deserializer, so the request has the method's input type: the one narrowing done here.
 */
export function served<Req, Res>(
  key: string,
  definition: MethodDefinition<Req, Res>,
  op: Operation,
  input: (request: Req) => OperationInput,
  output: (json: JsonObject) => Res,
): ServedMethod {
  const name = definition.path.replace(/^\//, "");
  const service = name.slice(0, name.indexOf("/"));
  return {
    name,
    key,
    service,
    definition: definition as MethodDefinition<unknown, unknown>,
    op,
    input: (request) => input(request as Req),
    output,
  };
}

/** gRPC's `deployment` field, when set, as the path parameter it stands for (it wins over `model`). */
export function deploymentParams(deployment: string): Record<string, string> {
  return deployment ? { deployment } : {};
}

/** Input from a gRPC request: OpenAI's JSON body, path parameters as the proto fields name them, no api-version. */

export function grpcInput(body: JsonObject | undefined, params: Record<string, string> = {}, query: URLSearchParams = new URLSearchParams()): OperationInput {
  return { body, params, query, style: "openai" };
}
