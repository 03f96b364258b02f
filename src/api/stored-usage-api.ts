// GetStoredUsageRecord: the caller's newest usage row as the database holds it, beside what is never stored.
import type { AdminServiceServer } from "../../gen/aik/v1/admin.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import { GatewayError } from "../core/errors.js";
import { USAGE_TABLE, type StoredColumn } from "../metering/stored-record.js";
import { NEVER_STORED } from "../store/never-stored.js";
import type { UnaryApi } from "./unary-api.js";

export type StoredUsageApi = UnaryApi<Pick<AdminServiceServer, "getStoredUsageRecord">>;

/** Always the caller's own row: no id to ask for, so no one else's row can be asked for. */
export function storedUsageApi(callers: AdminCallers, newestRow: (userId: string) => Promise<StoredColumn[] | undefined>): StoredUsageApi {
  return {
    async getStoredUsageRecord(_req, ctx) {
      const caller = await callers.of(ctx);
      if (caller.kind !== "user") {
        throw new GatewayError("not_found", "The operator token makes no model calls, so it has no usage record: log in as a user.", { reason: "not_found" });
      }
      const columns = await newestRow(caller.user.id);
      if (!columns) {
        throw new GatewayError("not_found", "No usage record yet: one is written for each model call made with one of your API keys.", { reason: "not_found" });
      }
      return {
        table: USAGE_TABLE,
        columns: columns.map((c) => ({ name: c.name, value: c.value ?? undefined })),
        neverStored: NEVER_STORED.map((n) => ({ what: n.what, detail: n.detail })),
      };
    },
  };
}
