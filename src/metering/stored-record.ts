// A user's newest usage row exactly as Postgres holds it: every column, in table order, as the database's own text.
import type postgres from "postgres";

export interface StoredColumn {
  readonly name: string;
  /** The database's text form of the value; null for SQL NULL. */
  readonly value: string | null;
}

export const USAGE_TABLE = "usage_records";

/**
 * `select *` on purpose: whatever the table holds is shown, so a column added without being
 * documented would show up here too. Values come raw (the server's text output, never parsed
 * into JavaScript), so a timestamp keeps its microseconds and a bigint every digit.
 */
export async function newestUsageRow(sql: postgres.Sql, userId: string): Promise<StoredColumn[] | undefined> {
  const result = await sql`select * from usage_records where user_id = ${userId} order by occurred_at desc, request_id desc limit 1`.raw();
  const row = result[0];
  if (!row) return undefined;
  return result.columns.map((c, i) => {
    const v = row[i];
    return { name: c.name, value: v === null || v === undefined ? null : Buffer.from(v).toString("utf8") };
  });
}
