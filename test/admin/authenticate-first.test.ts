// The control plane checks the credential before it reads, parses or checks any of the request (Login excepted).
import { status } from "@grpc/grpc-js";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AdminServiceService } from "../../gen/aik/v1/admin.js";
import type { UnaryService } from "../../src/api/unary-api.js";
import { GatewayError } from "../../src/core/errors.js";
import { loadApiSchema } from "../../src/schema/api-schema.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { bindGrpc, createGrpcServer, grpcCredentials } from "../../src/transport/grpc/server.js";
import { adminClient, authClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";

// Counts every entry into the JSON body reader, whichever handler calls it.
const bodyReads = vi.hoisted(() => ({ count: 0 }));
vi.mock("../../src/transport/http/body.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/transport/http/body.js")>();
  return {
    ...original,
    readJsonBody: (...args: Parameters<typeof original.readJsonBody>) => {
      bodyReads.count++;
      return original.readJsonBody(...args);
    },
  };
});

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

/** Sends the head and `sent` bytes of a body of `declared` bytes, never the rest; resolves with what the server answers first. */
function unfinishedRequest(path: string, headers: Record<string, string>, declared: number, sent: string): Promise<{ head: string; socket: Socket }> {
  const url = new URL(t.httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      const lines = [`POST ${path} HTTP/1.1`, `host: ${url.host}`, "content-type: application/json", `content-length: ${declared}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n${sent}`);
    });
    let got = "";
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) resolve({ head: got, socket });
    });
    socket.on("error", reject);
  });
}

const controlPlane: Array<[string, string]> = [
  ["CreateUser", "/v1/admin/users"],
  ["UnlockUser", "/v1/admin/users/00000000-0000-4000-8000-000000000000:unlock"],
  ["CreateServiceAccount", "/v1/admin/service-accounts"],
  ["CreateApiKey", "/v1/admin/api-keys"],
  ["CreateTeam", "/v1/admin/teams"],
  ["AddTeamMember", "/v1/admin/teams/00000000-0000-4000-8000-000000000000/members"],
  ["RemoveTeamMember", "/v1/admin/teams/00000000-0000-4000-8000-000000000000/members:remove"],
  ["Logout", "/v1/auth/logout"],
];

describe("over HTTP", () => {
  it.each(controlPlane)("%s: no credential and a body that never finishes -> 401 at once, the body reader never entered", async (_name, path) => {
    const before = bodyReads.count;
    const { head, socket } = await unfinishedRequest(path, {}, 1000, '{"email": "a');
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(bodyReads.count).toBe(before);
  });

  it("an invalid session with a body declared far over the limit -> 401, not 413", async () => {
    const before = bodyReads.count;
    const { head, socket } = await unfinishedRequest("/v1/admin/users", { authorization: "Bearer aiks_not-a-session" }, 100 * 1024 * 1024, "{");
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(head.toLowerCase()).toContain("connection: close");
    expect(bodyReads.count).toBe(before);
  });

  it.each([
    ["broken JSON", "application/json", "{"],
    ["the wrong media type", "text/plain", "hello"],
    ["an unknown field", "application/json", '{"admin": true}'],
  ])("a wrong operator token with %s -> 401, not 400 or 415", async (_label, type, body) => {
    const before = bodyReads.count;
    const res = await fetch(`${t.httpUrl}/v1/admin/users`, { method: "POST", headers: { authorization: "Bearer wrong-token", "content-type": type }, body });
    expect(res.status).toBe(401);
    expect(bodyReads.count).toBe(before);
  });

  it("an API key (a data-plane credential) on the control plane -> 401 before the body", async () => {
    const before = bodyReads.count;
    const res = await fetch(`${t.httpUrl}/v1/admin/api-keys`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" }, body: "{" });
    expect(res.status).toBe(401);
    expect(bodyReads.count).toBe(before);
  });

  it("the reader is entered for a caller with a valid credential (the counter works), and Login, whose credential is its body, reads it", async () => {
    const before = bodyReads.count;
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: "counted@example.test", password: "long enough password" })).status).toBe(200);
    expect(bodyReads.count).toBe(before + 1);
    const broken = await fetch(`${t.httpUrl}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(broken.status).toBe(400);
    expect(bodyReads.count).toBe(before + 2);
  });
});

describe("over gRPC", () => {
  it("no credential and messages that would fail validation -> UNAUTHENTICATED for every AdminService and AuthService method but Login", async () => {
    const admin = adminClient(t.grpcAddress);
    const auth = authClient(t.grpcAddress);
    const none = bearer(undefined);
    const bad = "not-a-uuid";
    const page = { pageSize: -5, pageToken: "%%%" };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["CreateUser", () => call(admin, admin.createUser, { email: "\u0000", password: "x", role: 99, limits: undefined }, none)],
      ["GetUser", () => call(admin, admin.getUser, { id: bad }, none)],
      ["ListUsers", () => call(admin, admin.listUsers, page, none)],
      ["UpdateUser", () => call(admin, admin.updateUser, { id: bad, role: 99, status: 99, password: "x", limits: undefined, allowedModels: { models: ["../x"] } }, none)],
      ["UnlockUser", () => call(admin, admin.unlockUser, { id: bad }, none)],
      ["CreateServiceAccount", () => call(admin, admin.createServiceAccount, { name: "", appId: "has space", limits: { requestsPerMinute: -1 }, allowedModels: ["../x"] }, none)],
      ["CreateApiKey", () => call(admin, admin.createApiKey, { userId: bad, name: "", expiresAt: new Date(0), allowedModels: ["../x"], limits: undefined, teamId: bad }, none)],
      ["ListApiKeys", () => call(admin, admin.listApiKeys, { userId: bad, includeRevoked: false, teamId: bad, ...page }, none)],
      ["RevokeApiKey", () => call(admin, admin.revokeApiKey, { id: bad }, none)],
      ["RotateApiKey", () => call(admin, admin.rotateApiKey, { id: bad, graceSeconds: -1 }, none)],
      ["GetLimitStatus", () => call(admin, admin.getLimitStatus, { userId: bad }, none)],
      ["GetStoredUsageRecord", () => call(admin, admin.getStoredUsageRecord, {}, none)],
      ["UpdateApiKey", () => call(admin, admin.updateApiKey, { id: bad, limits: { requestsPerMinute: -1 } }, none)],
      ["GetUsage", () => call(admin, admin.getUsage, { userId: bad, keyId: bad, model: "../x", deploymentId: "", startTime: undefined, endTime: undefined, groupBy: "nope", teamId: bad }, none)],
      ["ListAuditEvents", () => call(admin, admin.listAuditEvents, { actor: "root", action: "nope", targetId: bad, startTime: undefined, endTime: undefined, ...page }, none)],
      ["CreateTeam", () => call(admin, admin.createTeam, { name: "", limits: { requestsPerMinute: -1 } }, none)],
      ["GetTeam", () => call(admin, admin.getTeam, { id: bad }, none)],
      ["ListTeams", () => call(admin, admin.listTeams, page, none)],
      ["UpdateTeam", () => call(admin, admin.updateTeam, { id: bad, name: "", limits: { tokensPerMinute: -1 } }, none)],
      ["AddTeamMember", () => call(admin, admin.addTeamMember, { teamId: bad, userId: bad, role: 99 }, none)],
      ["RemoveTeamMember", () => call(admin, admin.removeTeamMember, { teamId: bad, userId: bad }, none)],
      ["Logout", () => call(auth, auth.logout, {}, none)],
      ["WhoAmI", () => call(auth, auth.whoAmI, {}, none)],
    ];
    try {
      for (const [name, fn] of calls) {
        const err = await fn().catch((e: unknown) => e);
        expect([name, isServiceError(err) && err.code]).toEqual([name, status.UNAUTHENTICATED]);
      }
      const login = await call(auth, auth.login, { email: "\u0000", password: "x" }).catch((e: unknown) => e);
      expect(isServiceError(login) && login.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      admin.close();
      auth.close();
    }
  });

  it("the transport authenticates before it calls the method: a refused caller never reaches it", async () => {
    let reached = 0;
    const service: UnaryService = {
      name: "aik.v1.AdminService",
      definition: AdminServiceService,
      api: {
        getUser: async () => {
          reached++;
          return { user: undefined };
        },
      },
      authenticate: async (ctx) => {
        if (ctx.credential !== "let-me-in") throw new GatewayError("unauthenticated", "no");
      },
      open: [],
    };
    const grpc = createGrpcServer(
      { gateway: t.gw.gateway, schema: loadApiSchema(), readiness: t.gw.readiness, methods: [], services: [service], logger: createLogger("error", () => {}) },
      { maxMessageBytes: 1024 * 1024, tls: undefined },
    );
    const port = await bindGrpc(grpc.server, "127.0.0.1:0", grpcCredentials({ maxMessageBytes: 1024 * 1024, tls: undefined }));
    const client = adminClient(`127.0.0.1:${port}`);
    try {
      const err = await call(client, client.getUser, { id: "x" }, bearer("wrong")).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.UNAUTHENTICATED);
      expect(reached).toBe(0);
      await call(client, client.getUser, { id: "x" }, bearer("let-me-in"));
      expect(reached).toBe(1);
    } finally {
      client.close();
      await grpc.close(100);
    }
  });
});
