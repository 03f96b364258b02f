import { describe, expect, it } from "vitest";
import { settledAfterSend } from "../../src/core/results.js";

describe("settledAfterSend", () => {
  it("settles after the microtasks in which a transport writes the answer, not before them", async () => {
    const order: string[] = [];
    const settled = settledAfterSend({ outcome: "ok", usage: { promptTokens: 3, cachedTokens: 0, completionTokens: 2, reasoningTokens: 0 } });
    // What the steps do with a settlement (metering, limits, metrics) waits on it like this.
    void settled.then(() => order.push("bookkeeping"));
    // The core's return travels through a few awaits to the transport, which then writes (res.end).
    for (let i = 0; i < 10; i++) await Promise.resolve();
    order.push("written");
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["written", "bookkeeping"]);
    expect(await settled).toMatchObject({ outcome: "ok", usage: { promptTokens: 3, completionTokens: 2 }, error: undefined, relayedText: [] });
  });
});
