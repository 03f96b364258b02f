// Price look-up by model family and snapshot name, and cost arithmetic: integers only, one half-up rounding.
import { describe, expect, it } from "vitest";
import type { Price } from "../../src/core/deployments.js";
import { costMicroUsd, costOf, PRICED_MODELS, priceFor } from "../../src/metering/prices.js";

const price = (input: number, cached: number, output: number): Price => ({
  inputMicroUsdPer1M: input,
  cachedInputMicroUsdPer1M: cached,
  outputMicroUsdPer1M: output,
});

function must(p: Price | undefined): Price {
  if (p === undefined) throw new Error("expected a price");
  return p;
}

describe("priceFor", () => {
  it("holds every AZURE-WIRE.md figure as exact integer micro-USD per 1M tokens", () => {
    expect(priceFor("gpt-4o")).toEqual(price(2_500_000, 1_250_000, 10_000_000));
    expect(priceFor("gpt-4o-mini")).toEqual(price(150_000, 75_000, 600_000));
    expect(priceFor("gpt-4.1")).toEqual(price(2_000_000, 500_000, 8_000_000));
    expect(priceFor("gpt-4.1-mini")).toEqual(price(400_000, 100_000, 1_600_000));
    expect(priceFor("gpt-4.1-nano")).toEqual(price(100_000, 25_000, 400_000));
    expect(priceFor("o3-mini")).toEqual(price(1_100_000, 550_000, 4_400_000));
    expect(priceFor("o4-mini")).toEqual(price(1_100_000, 275_000, 4_400_000));
    expect(priceFor("text-embedding-3-small")).toEqual(price(20_000, 20_000, 0));
    expect(priceFor("text-embedding-3-large")).toEqual(price(130_000, 130_000, 0));
    expect(PRICED_MODELS).toHaveLength(9);
  });

  it("matches dated snapshot names to their own family, never a longer or shorter one", () => {
    expect(priceFor("gpt-4o-2024-11-20")).toBe(priceFor("gpt-4o"));
    expect(priceFor("gpt-4o-mini-2024-07-18")).toBe(priceFor("gpt-4o-mini"));
    expect(priceFor("gpt-4.1-nano-2025-04-14")).toBe(priceFor("gpt-4.1-nano"));
    expect(priceFor("o3-mini-2025-01-31")).toBe(priceFor("o3-mini"));
    expect(priceFor("GPT-4o")).toBe(priceFor("gpt-4o"));
  });

  it("does not guess: unknown models and look-alikes have no price", () => {
    for (const model of ["gpt-4o-realtime-preview", "gpt-4o-2024", "gpt-5", "o3", "gpt-4o-mini-tts", "", "gpt-4o-2024-11-20-extra"]) {
      expect(priceFor(model), model).toBeUndefined();
    }
    expect(costOf("gpt-5", { promptTokens: 1000, cachedTokens: 0, completionTokens: 1000 })).toEqual({ costMicroUsd: 0, priced: false });
  });

  it("prefers a deployment's own price, for known and unknown models alike", () => {
    const provisioned = price(1_000_000, 0, 2_000_000);
    expect(priceFor("gpt-4o", provisioned)).toBe(provisioned);
    expect(priceFor("my-fine-tune", provisioned)).toBe(provisioned);
    expect(costOf("gpt-4o", { promptTokens: 1_000_000, cachedTokens: 0, completionTokens: 1_000_000 }, provisioned)).toEqual({ costMicroUsd: 3_000_000, priced: true });
  });
});

describe("costMicroUsd", () => {
  const gpt4o = must(priceFor("gpt-4o"));
  const nano = must(priceFor("gpt-4.1-nano"));
  const small = must(priceFor("text-embedding-3-small"));

  it("bills cached tokens (part of promptTokens) at the cached rate", () => {
    // 1M prompt of which 400k cached: 600k x 2.50 + 400k x 1.25 = 1.50 + 0.50 USD; 1M out x 10 USD.
    expect(costMicroUsd({ promptTokens: 1_000_000, cachedTokens: 400_000, completionTokens: 1_000_000 }, gpt4o)).toBe(12_000_000);
    expect(costMicroUsd({ promptTokens: 1000, cachedTokens: 0, completionTokens: 500 }, gpt4o)).toBe(7_500);
  });

  it("is zero for zero tokens", () => {
    expect(costMicroUsd({ promptTokens: 0, cachedTokens: 0, completionTokens: 0 }, gpt4o)).toBe(0);
  });

  it("rounds the exact total once, half up", () => {
    // text-embedding-3-small: 0.02 micro-USD per token.
    expect(costMicroUsd({ promptTokens: 1, cachedTokens: 0, completionTokens: 0 }, small)).toBe(0); // 0.02
    expect(costMicroUsd({ promptTokens: 24, cachedTokens: 0, completionTokens: 0 }, small)).toBe(0); // 0.48
    expect(costMicroUsd({ promptTokens: 25, cachedTokens: 0, completionTokens: 0 }, small)).toBe(1); // 0.50 -> up
    expect(costMicroUsd({ promptTokens: 74, cachedTokens: 0, completionTokens: 0 }, small)).toBe(1); // 1.48
    expect(costMicroUsd({ promptTokens: 75, cachedTokens: 0, completionTokens: 0 }, small)).toBe(2); // 1.50 -> up
    // One rounding of the sum, not one per part: 5 input (0.5) + 20 cached (0.5) = exactly 1, where per-part rounding gives 2.
    expect(costMicroUsd({ promptTokens: 25, cachedTokens: 20, completionTokens: 0 }, nano)).toBe(1);
    // Three parts of 0.4 each (4 input, 16 cached, 1 output): 1.2 -> 1, where rounding each part gives 0.
    expect(costMicroUsd({ promptTokens: 20, cachedTokens: 16, completionTokens: 1 }, nano)).toBe(1);
    expect(costMicroUsd({ promptTokens: 4, cachedTokens: 0, completionTokens: 1 }, nano)).toBe(1); // 0.4 + 0.4 = 0.8 -> 1
  });

  it("stays exact past 2^53 intermediate products", () => {
    // 10^11 prompt tokens x 2.5M micro-USD = 2.5e17, far past 2^53 (~9.007e15) as a float product.
    const huge = 100_000_000_001;
    const got = costMicroUsd({ promptTokens: huge, cachedTokens: 3, completionTokens: 7 }, gpt4o);
    const exact = (BigInt(huge - 3) * 2_500_000n + 3n * 1_250_000n + 7n * 10_000_000n + 500_000n) / 1_000_000n;
    expect(BigInt(got)).toBe(exact);
    expect(got).toBe(250_000_000_069); // 99,999,999,998 x 2.5 + 3 x 1.25 + 7 x 10 = 250,000,000,068.75 -> up
    // Half-up at the very top of the exact range.
    const perToken = price(1_000_000, 1_000_000, 1_000_000); // 1 micro-USD per token
    expect(costMicroUsd({ promptTokens: Number.MAX_SAFE_INTEGER, cachedTokens: 0, completionTokens: 0 }, perToken)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => costMicroUsd({ promptTokens: Number.MAX_SAFE_INTEGER, cachedTokens: 0, completionTokens: 1 }, perToken)).toThrow(RangeError);
  });

  it("caps cached tokens at the prompt and refuses counts that are not whole non-negative numbers", () => {
    expect(costMicroUsd({ promptTokens: 1000, cachedTokens: 5000, completionTokens: 0 }, gpt4o)).toBe(1_250);
    expect(() => costMicroUsd({ promptTokens: -1, cachedTokens: 0, completionTokens: 0 }, gpt4o)).toThrow(RangeError);
    expect(() => costMicroUsd({ promptTokens: 1.5, cachedTokens: 0, completionTokens: 0 }, gpt4o)).toThrow(RangeError);
    expect(() => costMicroUsd({ promptTokens: Number.NaN, cachedTokens: 0, completionTokens: 0 }, gpt4o)).toThrow(RangeError);
  });

  it("applies a per-deployment override price", () => {
    const override = price(3_000_000, 3_000_000, 0); // a Data Zone style 3.00 USD, no cache discount
    expect(costMicroUsd({ promptTokens: 1_000_000, cachedTokens: 500_000, completionTokens: 99 }, must(priceFor("gpt-4o", override)))).toBe(3_000_000);
  });
});
