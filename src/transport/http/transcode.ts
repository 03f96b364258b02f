// Generic HTTP/JSON transcoding for unary proto services: strict proto3 JSON in, proto3 JSON out.
import { fromBinary, fromJson, ScalarType, toBinary, toJsonString, type DescField, type DescMethod, type JsonValue } from "@bufbuild/protobuf";
import type { IncomingMessage } from "node:http";
import { authenticatesFirst, type UnaryService } from "../../api/unary-api.js";
import { GatewayError, invalidArgument } from "../../core/errors.js";
import { isObject } from "../../core/json.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { readJsonBody } from "./body.js";
import { requireCsrf } from "./csrf.js";
import type { HttpCall, MethodHandler } from "./operation-handlers.js";
import { protoMethods } from "../grpc/server.js";
import { decodeParams } from "./routes.js";

/** Handlers by "service/Method" for every method of `service`, wired to the same functions gRPC serves. */
export function transcodedHandlers(schema: ApiSchema, service: UnaryService, maxBodyBytes: number): Record<string, MethodHandler> {
  const handlers: Record<string, MethodHandler> = {};
  for (const { method, key } of protoMethods(schema, service.name)) {
    const codec = service.definition[key];
    const fn = service.api[key];
    if (!codec || !fn) throw new Error(`${service.name}/${method.name} has no implementation.`);
    const first = authenticatesFirst(service, key);
    handlers[`${service.name}/${method.name}`] = async (call) => {
      // The credential first, from the headers alone: a caller without a valid one gets 401 before
      // any body byte is read, parsed or checked (the server decides what to do with the unread rest).
      if (first) {
        await service.authenticate(call.ctx);
        // A browser sends its cookie with any request any page makes: a change needs the console page's CSRF token too.
        if (call.viaCookie) requireCsrf(call.req, call.ctx.credential ?? "");
      }
      const message = parseRequest(method, await requestJson(call, method, maxBodyBytes));
      const request: unknown = codec.requestDeserialize(Buffer.from(toBinary(method.input, message)));
      // The generated deserializer for this very method made `request`, so it has the method's input type.
      const response = await fn(request as never, call.ctx);
      const csv = service.csv?.[key];
      if (csv && wantsCsv(call.req)) {
        // The same response object the method returned, so it has the type the renderer takes.
        const text = csv(response as never);
        call.res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "content-length": Buffer.byteLength(text) });
        call.res.end(text);
        return;
      }
      const out = fromBinary(method.output, codec.responseSerialize(response));
      const body = toJsonString(method.output, out, { alwaysEmitImplicit: true });
      call.res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      call.res.end(body);
    };
  }
  return handlers;
}

/** The request as proto3 JSON: the body (POST, PATCH), then path parameters, then query parameters. */
async function requestJson(call: HttpCall, method: DescMethod, maxBodyBytes: number): Promise<Record<string, JsonValue>> {
  const json: Record<string, JsonValue> = {};
  if (call.route.verb !== "GET" && call.route.verb !== "DELETE" && hasBody(call.req)) {
    const body = await readJsonBody(call.req, maxBodyBytes, call.deadline);
    if (!isObject(body)) throw invalidArgument("body", "The request body must be a JSON object.");
    Object.assign(json, body);
  }
  Object.assign(json, decodeParams(call.params));
  for (const [name, value] of call.query) {
    const field = method.input.fields.find((f) => f.name === name || f.jsonName === name);
    if (!field) throw invalidArgument(name, `Unknown query parameter '${safeName(name)}'.`);
    json[field.name] = queryValue(field, value);
  }
  return json;
}

const WELL_KNOWN_STRINGS = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration"]);

function wantsCsv(req: IncomingMessage): boolean {
  return /\btext\/csv\b/i.test(req.headers.accept ?? "");
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
}

function queryValue(field: DescField, value: string): JsonValue {
  if (field.fieldKind === "scalar" && field.scalar === ScalarType.BOOL) {
    if (value === "true" || value === "false") return value === "true";
    throw invalidArgument(field.name, `Invalid '${field.name}': expected true or false.`);
  }
  if (field.fieldKind === "scalar" || field.fieldKind === "enum") return value;
  // Timestamps and durations have a string form in proto3 JSON ("2026-11-01T00:00:00Z", "1.5s").
  if (field.fieldKind === "message" && WELL_KNOWN_STRINGS.has(field.message.typeName)) return value;
  throw invalidArgument(field.name, `'${field.name}' cannot be set from the query string.`);
}

/** protobuf-es errors quote the offending value: keep only the field's name. */
function parseRequest(method: DescMethod, json: Record<string, JsonValue>) {
  try {
    return fromJson(method.input, json);
  } catch (err) {
    const text = err instanceof Error ? err.message : "";
    const enumType = /cannot decode enum ([\w.]+) from JSON/.exec(text)?.[1];
    const field =
      /field [\w.]+\.(\w+) from JSON/.exec(text)?.[1] ??
      /key "([\w.-]{1,64})" is unknown/.exec(text)?.[1] ??
      method.input.fields.find((f) => f.fieldKind === "enum" && f.enum.typeName === enumType)?.name;
    throw new GatewayError("invalid_argument", field ? `Invalid value for '${field}'.` : "The request does not match the method's input.", {
      param: field ?? "body",
      reason: "invalid_value",
      cause: err,
    });
  }
}

function safeName(name: string): string {
  return /^[\w.-]{1,64}$/.test(name) ? name : "(unprintable)";
}
