// One transaction over the identity tables: a change and its audit row commit together or not at all.
import type postgres from "postgres";
import { ApiKeyStore } from "./api-keys.js";
import { AuditStore } from "./audit-events.js";
import { TeamStore } from "./teams.js";
import { UserStore } from "./users.js";

export interface IdentityTx {
  readonly users: UserStore;
  readonly keys: ApiKeyStore;
  readonly audit: AuditStore;
  readonly teams: TeamStore;
}

export type Transact = <T>(work: (tx: IdentityTx) => Promise<T>) => Promise<T>;

export function identityTransactions(sql: postgres.Sql): Transact {
  return async <T>(work: (tx: IdentityTx) => Promise<T>): Promise<T> => {
    // sql.begin's result type unwraps arrays generically; carrying the value out keeps T exact.
    let out: { value: T } | undefined;
    await sql.begin(async (tx) => {
      out = { value: await work({ users: new UserStore(tx), keys: new ApiKeyStore(tx), audit: new AuditStore(tx), teams: new TeamStore(tx) }) };
    });
    if (!out) throw new Error("the transaction ended without a result");
    return out.value;
  };
}
