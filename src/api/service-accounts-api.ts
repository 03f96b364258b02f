// AdminService.CreateServiceAccount: a user of kind service, named by the application id its issuer's tokens carry.
import type { AdminServiceServer } from "../../gen/aik/v1/admin.js";
import { changedFields } from "../auth/audit.js";
import { invalidArgument } from "../core/errors.js";
import { auditEntry, requireAdmin } from "./access.js";
import type { IdentityParts } from "./admin-api.js";
import { userFields } from "./audit-fields.js";
import { checkKeyName, checkModels } from "./identity-checks.js";
import { userMessage } from "./identity-mapping.js";
import { limitsFromProto, NO_LIMITS } from "./limits-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type ServiceAccountsApi = UnaryApi<Pick<AdminServiceServer, "createServiceAccount">>;

/** Entra's are GUIDs; other issuers' client ids are short printable text without spaces. */
const APP_ID = /^[\x21-\x7e]{1,200}$/;

export function checkAppId(appId: string): string {
  if (!APP_ID.test(appId)) {
    throw invalidArgument("app_id", "Invalid 'app_id': the application id its tokens carry in azp or appid, 1 to 200 printable characters without spaces.");
  }
  return appId;
}

export function serviceAccountsApi(p: Pick<IdentityParts, "callers" | "transaction" | "events">): ServiceAccountsApi {
  return {
    async createServiceAccount(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const name = checkKeyName(req.name);
      const appId = checkAppId(req.appId);
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const allowedModels = checkModels(req.allowedModels);
      const user = await p.transaction(async (tx) => {
        const created = await tx.users.createServiceAccount({ name, appId, limits, allowedModels });
        // Recorded like user.created, with what makes it a service account in place of an email.
        const changes = changedFields(undefined, { ...userFields(created), email: undefined, kind: "service", app_id: appId, name });
        await tx.audit.append(auditEntry(caller, ctx, "user.created", created.id, changes));
        return created;
      });
      // A token presented before the account existed sits in every replica's negative cache: forget it.
      await p.events.publish({ kind: "user", id: user.id });
      return { user: userMessage(user) };
    },
  };
}
