// Time limits on waiting for Postgres: a write that never answers must not hold records or shutdown forever.

/** Rejects with code WRITE_TIMEOUT when `work` has not settled within `ms`; the work itself goes on. */
export function withTimeout<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer from Postgres within ${ms} ms`), { code: "WRITE_TIMEOUT" })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for all of `work` to settle, or `ms`, whichever comes first; never rejects. */
export async function settled(work: readonly (Promise<unknown> | undefined)[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(work), deadline]);
  clearTimeout(timer);
}
