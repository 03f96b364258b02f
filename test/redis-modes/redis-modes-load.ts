// Requests for the Redis-mode tests: one chat call, a steady load on several gateways, and an RPM limit counted across them.
import { request } from "undici";

export interface Answer {
  readonly status: number;
  readonly via: string;
}

export async function chat(baseUrl: string, apiKey: string): Promise<number> {
  const res = await request(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
    // A request that hangs fails the test here instead of holding it.
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  });
  await res.body.text();
  return res.statusCode;
}

/** `workers` callers per gateway, each sending one request after another (a short pause between) until `stop` settles. */
export async function steadyLoad(baseUrls: readonly string[], apiKey: string, workers: number, stop: Promise<unknown>): Promise<Answer[]> {
  let done = false;
  const finished = stop.finally(() => (done = true));
  const out: Answer[] = [];
  const callers = baseUrls.flatMap((url) =>
    Array.from({ length: workers }, async () => {
      while (!done) {
        out.push({ status: await chat(url, apiKey), via: url });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }),
  );
  await Promise.all([...callers, finished]);
  return out;
}

/**
 * `3 * limit` requests at once, spread over the gateways, against a key allowed `limit` per minute.
 * Returns how many were served and how many a bucket refilling at limit/minute could have added meanwhile.
 */
export async function burst(baseUrls: readonly string[], apiKey: string, limit: number): Promise<{ statuses: number[]; served: number; refill: number }> {
  const started = performance.now();
  const statuses = await Promise.all(Array.from({ length: 3 * limit }, (_, i) => chat(baseUrls[i % baseUrls.length] ?? "", apiKey)));
  const refill = Math.floor(((performance.now() - started) * limit) / 60_000);
  return { statuses, served: statuses.filter((s) => s === 200).length, refill };
}
