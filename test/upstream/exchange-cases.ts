// The cases both upstream exchanges (unary, stream) must pass, against a hand-written Azure.
import { expect } from "vitest";
import type { CallSignal } from "../../src/core/context.js";
import { GatewayError } from "../../src/core/errors.js";
import { CallAbort } from "../../src/transport/call-abort.js";
import type { HandAzure } from "../support/hand-azure.js";
import { until } from "../support/usage-db.js";

/** The GatewayError `p` rejects with. */
export async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}

/**
 * `start` (one exchange with the call's signal) ends as cancelled when an AbortSignal aborts while
 * Azure has not answered, and sends nothing when its signal aborted before it started.
 */
export async function expectAbortBeforeAnswer(azure: HandAzure, start: (signal: CallSignal, requestId: string) => Promise<unknown>): Promise<void> {
  azure.handler = (r) => r.resume(); // no answer at all
  const waiting = new AbortController();
  const sent = azure.requests;
  const pending = start(waiting.signal, "req_waiting");
  await until("the request reaches Azure", async () => azure.requests > sent, 2_000);
  waiting.abort();
  expect((await failure(pending)).code).toBe("cancelled");

  const gone = new CallAbort();
  gone.abort();
  const count = azure.requests;
  expect((await failure(start(gone, "req_gone"))).code).toBe("cancelled");
  await new Promise((r) => setTimeout(r, 50));
  expect(azure.requests).toBe(count);
}
