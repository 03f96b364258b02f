// Server reflection (v1 and v1alpha) from the descriptors `buf build` wrote, each file sent with all its imports.
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { DescFile } from "@bufbuild/protobuf";
import type { ServerReflectionRequest, ServerReflectionResponse } from "../../../gen/grpc/reflection/v1/reflection.js";
import type { ApiSchema } from "../../schema/api-schema.js";

type ReflectionCall = ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>;

/** The v1 and v1alpha messages are identical on the wire and in ts-proto's types; one handler serves both. */
export function reflectionHandler(schema: ApiSchema, services: readonly string[]): (call: ReflectionCall) => void {
  const answer = (req: ServerReflectionRequest): ServerReflectionResponse["messageResponse"] => {
    const r = req.messageRequest;
    switch (r?.$case) {
      case "listServices":
        return { $case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } };
      case "fileByFilename":
        return files(schema, schema.registry.getFile(r.value), r.value);
      case "fileContainingSymbol":
        return files(schema, fileOfSymbol(schema, r.value), r.value);
      case "fileContainingExtension": {
        const extendee = schema.registry.getMessage(r.value.containingType);
        const ext = extendee && schema.registry.getExtensionFor(extendee, r.value.extensionNumber);
        return files(schema, ext?.file, `${r.value.containingType}(${r.value.extensionNumber})`);
      }
      case "allExtensionNumbersOfType": {
        const numbers: number[] = [];
        for (const file of schema.registry.files) {
          for (const ext of file.extensions) if (ext.extendee.typeName === r.value) numbers.push(ext.number);
        }
        if (!schema.registry.getMessage(r.value)) return notFound(`type '${r.value}'`);
        return { $case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } };
      }
      default:
        return { $case: "errorResponse", value: { errorCode: status.INVALID_ARGUMENT, errorMessage: "Empty reflection request." } };
    }
  };

  return (call) => {
    call.on("data", (req: ServerReflectionRequest) => {
      call.write({ validHost: req.host, originalRequest: req, messageResponse: answer(req) });
    });
    call.on("end", () => call.end());
    call.on("error", () => call.end());
  };
}

function files(schema: ApiSchema, file: DescFile | undefined, what: string): ServerReflectionResponse["messageResponse"] {
  if (!file) return notFound(what);
  return {
    $case: "fileDescriptorResponse",
    value: { fileDescriptorProto: schema.fileWithDependencies(file).map((b) => Buffer.from(b)) },
  };
}

/** Services, messages, enums and extensions by full name; methods and fields via their parent. */
function fileOfSymbol(schema: ApiSchema, symbol: string): DescFile | undefined {
  const found = schema.registry.get(symbol);
  if (found) return found.file;
  const parent = symbol.slice(0, Math.max(0, symbol.lastIndexOf(".")));
  return parent ? schema.registry.get(parent)?.file : undefined;
}

function notFound(what: string): ServerReflectionResponse["messageResponse"] {
  return { $case: "errorResponse", value: { errorCode: status.NOT_FOUND, errorMessage: `Not found: ${what.slice(0, 200)}.` } };
}
