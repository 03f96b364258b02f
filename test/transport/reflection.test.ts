// Server reflection, v1 and v1alpha (grpcurl asks v1alpha first on older builds): every file comes with all it imports.
import { credentials } from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflectionClient as V1, type ServerReflectionRequest, type ServerReflectionResponse } from "../../gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionClient as V1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

type Client = InstanceType<typeof V1> | InstanceType<typeof V1Alpha>;

/** Sends the requests on one reflection stream and collects the answers in order. */
function ask(client: Client, requests: Array<ServerReflectionRequest["messageRequest"]>): Promise<ServerReflectionResponse[]> {
  return new Promise((resolve, reject) => {
    const out: ServerReflectionResponse[] = [];
    const stream = client.serverReflectionInfo();
    stream.on("data", (r: ServerReflectionResponse) => {
      out.push(r);
      if (out.length === requests.length) stream.end();
    });
    stream.on("end", () => resolve(out));
    stream.on("error", reject);
    for (const messageRequest of requests) stream.write({ host: "", messageRequest });
  });
}

function fileNames(r: ServerReflectionResponse | undefined): string[] {
  if (r?.messageResponse?.$case !== "fileDescriptorResponse") return [];
  return r.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
}

describe.each([
  ["v1", (addr: string) => new V1(addr, credentials.createInsecure())],
  ["v1alpha", (addr: string) => new V1Alpha(addr, credentials.createInsecure())],
])("reflection %s", (_name, make) => {
  it("lists services, and answers symbols and files with their whole import closure", async () => {
    const client = make(t.grpcAddress);
    const [list, symbol, method, file, missing] = await ask(client, [
      { $case: "listServices", value: "" },
      { $case: "fileContainingSymbol", value: "aik.v1.ChatService" },
      { $case: "fileContainingSymbol", value: "aik.v1.AdminService.CreateApiKey" },
      { $case: "fileByFilename", value: "aik/v1/auth.proto" },
      { $case: "fileContainingSymbol", value: "aik.v1.NoSuchThing" },
    ]);
    client.close();
    const services = list?.messageResponse?.$case === "listServicesResponse" ? list.messageResponse.value.service.map((s) => s.name) : [];
    expect(services).toEqual(expect.arrayContaining(["aik.v1.ChatService", "aik.v1.AdminService", "aik.v1.AuthService", "grpc.health.v1.Health"]));
    expect(fileNames(symbol)[0]).toBe("aik/v1/chat.proto");
    expect(fileNames(symbol)).toEqual(
      expect.arrayContaining(["google/api/annotations.proto", "google/api/http.proto", "google/protobuf/descriptor.proto", "google/protobuf/struct.proto"]),
    );
    expect(fileNames(method)[0]).toBe("aik/v1/admin.proto");
    expect(fileNames(method)).toContain("google/protobuf/timestamp.proto");
    expect(fileNames(file)).toEqual(expect.arrayContaining(["aik/v1/auth.proto", "aik/v1/admin.proto"]));
    expect(missing?.messageResponse?.$case).toBe("errorResponse");
  });
});
