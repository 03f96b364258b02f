// One of the caller's usage rows exactly as the database holds it, and the list of what is never stored (GetStoredUsageRecord).
import { callJson } from "../api";
import { listAt, objectOf, textAt } from "../json";

export interface StoredColumn {
  readonly name: string;
  /** The database's text form; undefined for NULL. */
  readonly value: string | undefined;
}

export interface NeverStored {
  readonly what: string;
  readonly detail: string;
}

export interface StoredExample {
  readonly table: string;
  readonly columns: readonly StoredColumn[];
  readonly neverStored: readonly NeverStored[];
}

export async function getStoredExample(): Promise<StoredExample> {
  const o = objectOf(await callJson("/v1/admin/usage/stored-example"), "stored record");
  return {
    table: textAt(o, "table"),
    columns: listAt(o, "columns").map((v) => {
      const c = objectOf(v, "column");
      return { name: textAt(c, "name"), value: c["value"] === undefined || c["value"] === null ? undefined : textAt(c, "value") };
    }),
    neverStored: listAt(o, "never_stored").map((v) => {
      const n = objectOf(v, "never stored");
      return { what: textAt(n, "what"), detail: textAt(n, "detail") };
    }),
  };
}
