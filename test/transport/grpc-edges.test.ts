// gRPC details the proto promises: the `deployment` field wins over `model`, and the gateway's own failures are logged (class and code only).
import { credentials, Metadata, Server, ServerCredentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, ChatServiceClient, ChatServiceService } from "../../gen/aik/v1/chat.js";
import { unary } from "../../src/transport/grpc/operation-service.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("gRPC edges", () => {
  it("the request's `deployment` names the deployment, over `model`, as the proto says", async () => {
    const client = chatClient(t.grpcAddress);
    try {
      t.emulator.clearRequests();
      const req = ChatCompletionRequest.fromPartial({
        model: "gpt-4o",
        deployment: "gpt-4o-mini",
        messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }],
      });
      await call(client, client.createChatCompletion, req, bearer(t.apiKey));
      expect(t.emulator.requests.map((r) => r.deployment)).toEqual(["gpt-4o-mini"]);
    } finally {
      client.close();
    }
  });

  it("a failure that is the gateway's own is INTERNAL with a generic message, and logged by class and code, never by message", async () => {
    const logged: Array<{ requestId: string; cls: string }> = [];
    const server = new Server();
    server.addService(ChatServiceService, {
      listModels: unary(
        async () => {
          throw new TypeError("secret detail: sentinel-7d2");
        },
        undefined,
        (err, requestId) => logged.push({ requestId, cls: err.cause instanceof Error ? err.cause.name : "?" }),
      ),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new ChatServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const err = await call(client, client.listModels, {}, new Metadata()).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.INTERNAL);
      expect(isServiceError(err) && err.details).not.toContain("sentinel-7d2");
      expect(logged).toEqual([{ requestId: expect.stringMatching(/^req_/), cls: "TypeError" }]);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
