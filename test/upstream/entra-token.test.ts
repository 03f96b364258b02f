// The Entra token source on its own, with a credential of our own: a request that finds the held token past its use before its renewal has started gets a fresh token, not a 503.
import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterEach, expect, it } from "vitest";
import { EntraTokenSource } from "../../src/upstream/entra-token.js";
import { createLogger } from "../../src/telemetry/logger.js";

let source: EntraTokenSource | undefined;
afterEach(() => source?.close());

it("a request that finds the token past its use, its renewal's timer not yet fired, starts the renewal and waits for it", async () => {
  let issued = 0;
  // Tokens that live 3 s, renewed 0.3 s before expiry (a tenth of the life: the margin asked for is shorter), but a
  // token is not sent in its last 2 s: from 1 s to 2.7 s the held token is past its use and its renewal's timer has
  // not fired (a test's stand-in for a timer that runs late on a busy process).
  const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken> => {
      issued += 1;
      return { token: `token-${issued}`, expiresOnTimestamp: Date.now() + 3_000 };
    },
  };
  source = new EntraTokenSource(credential, "scope/.default", "test", { refreshMarginMs: 100, retryMinMs: 200, retryMaxMs: 1_000, firstFetchWaitMs: 2_000 }, createLogger("error", () => {}));
  source.start();
  expect(await source.token("d")).toBe("token-1");
  // Into that half second.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  expect(await source.token("d")).toBe("token-2");
  expect(issued).toBe(2);
});
