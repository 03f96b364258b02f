// The API's descriptors as `buf build` wrote them (gen/aik.binpb): HTTP rules for transcoding, files for reflection.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, getExtension, hasExtension, isMessage, toBinary, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { HttpRule } from "../../gen/google/api/http.js";

export interface MethodRule {
  /** e.g. "aik.v1.ChatService" */
  readonly service: string;
  /** e.g. "CreateChatCompletion" */
  readonly method: string;
  readonly rule: HttpRule;
}

export interface ApiSchema {
  readonly registry: FileRegistry;
  /** Full names of every service the descriptor set defines. */
  readonly services: readonly string[];
  readonly httpRules: readonly MethodRule[];
  /** The serialized FileDescriptorProto of `file` followed by those of all it imports, transitively. */
  fileWithDependencies(file: DescFile): Uint8Array[];
}

let cached: ApiSchema | undefined;

export function loadApiSchema(): ApiSchema {
  cached ??= buildSchema(readFileSync(descriptorSetPath()));
  return cached;
}

/** gen/aik.binpb sits at the package root, whether this runs from src/ (tests) or dist/src/. */
function descriptorSetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "gen", "aik.binpb");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("gen/aik.binpb not found: run `npm run generate`.");
    dir = parent;
  }
}

function buildSchema(bytes: Uint8Array): ApiSchema {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const httpExt = registry.getExtension("google.api.http");
  if (httpExt?.fieldKind !== "message") throw new Error("gen/aik.binpb lacks google.api.http: run `npm run generate`.");
  const services: string[] = [];
  const httpRules: MethodRule[] = [];
  const serialized = new Map<DescFile, Uint8Array>();
  for (const file of registry.files) {
    serialized.set(file, toBinary(FileDescriptorProtoSchema, file.proto));
    for (const service of file.services) {
      services.push(service.typeName);
      for (const method of service.methods) {
        const options = method.proto.options;
        if (!options || !hasExtension(options, httpExt)) continue;
        const value = getExtension(options, httpExt);
        if (!isMessage(value)) continue;
        // Re-encode the dynamic value and decode it with the generated, typed HttpRule.
        const rule = HttpRule.decode(toBinary(httpExt.message, value));
        httpRules.push({ service: service.typeName, method: method.name, rule });
      }
    }
  }
  return {
    registry,
    services,
    httpRules,
    fileWithDependencies(file) {
      const out: DescFile[] = [];
      const visit = (f: DescFile): void => {
        if (out.includes(f)) return;
        out.push(f);
        f.dependencies.forEach(visit);
      };
      visit(file);
      return out.map((f) => serialized.get(f) ?? toBinary(FileDescriptorProtoSchema, f.proto));
    },
  };
}
