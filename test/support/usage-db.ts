// Reads what metering stored, straight from the usage table, for tests that compare it with what clients saw.
import postgres from "postgres";

export interface StoredRecord {
  request_id: string;
  outcome: string;
  protocol: string;
  streamed: boolean;
  deployment_id: string | null;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cost_micro_usd: number;
  estimated: boolean;
  ttft_ms: number | null;
}

export async function storedRecords(databaseUrl: string, where: { keyIds?: readonly string[] } = {}): Promise<StoredRecord[]> {
  const sql = postgres(databaseUrl, { onnotice: () => {}, max: 1 });
  try {
    return await sql<StoredRecord[]>`
      select request_id, outcome, protocol, streamed, deployment_id, prompt_tokens::int, cached_tokens::int,
             completion_tokens::int, reasoning_tokens::int, cost_micro_usd::int, estimated, ttft_ms
      from usage_records
      ${where.keyIds ? sql`where key_id = any(${[...where.keyIds]}::text[])` : sql``}`;
  } finally {
    await sql.end();
  }
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
