// The canary as a password on the control plane: set, changed and tried over both doors, where the audit log and the lockout see it pass.
import { status } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { Role, UserStatus } from "../../gen/aik/v1/admin.js";
import { adminCall } from "../support/identity.js";
import { adminClient, authClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { CANARY, path, type CanaryRun } from "./canary-run.js";

export async function sendControlPlane(run: CanaryRun): Promise<void> {
  const email = `canary-${randomBytes(4).toString("hex")}@example.test`;
  let userId = "";
  await path(run, "http control plane: a user created with the canary in its password, then logged in and refused", async () => {
    const created = await adminCall(run.httpUrl, run.adminToken, "POST", "/v1/admin/users", { email, password: `pw-${CANARY}`, role: "ROLE_MEMBER" });
    expect(created.status).toBe(200);
    userId = String(created.json.user.id);
    run.controlUsers.push(userId);
    expect((await adminCall(run.httpUrl, undefined, "POST", "/v1/auth/login", { email, password: `pw-${CANARY}` })).status).toBe(200);
    expect((await adminCall(run.httpUrl, undefined, "POST", "/v1/auth/login", { email, password: `wrong-${CANARY}` })).status).toBe(401);
  });
  await path(run, "grpc control plane: the password changed to another holding the canary, then logged in and refused", async () => {
    const admin = adminClient(run.grpcAddress);
    const auth = authClient(run.grpcAddress);
    try {
      const update = { id: userId, role: Role.ROLE_UNSPECIFIED, status: UserStatus.USER_STATUS_UNSPECIFIED, password: `pw2-${CANARY}`, limits: undefined, allowedModels: undefined };
      await call(admin, admin.updateUser, update, bearer(run.adminToken));
      const session = await call(auth, auth.login, { email, password: `pw2-${CANARY}` });
      expect(session.sessionToken.length).toBeGreaterThan(0);
      const refused = await call(auth, auth.login, { email, password: `wrong-${CANARY}` }).catch((e: unknown) => e);
      expect(isServiceError(refused) && refused.code).toBe(status.UNAUTHENTICATED);
    } finally {
      admin.close();
      auth.close();
    }
  });
}
