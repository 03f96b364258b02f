// The built-in price table and the one cost formula: integer micro-USD, one rounding step.
import type { Price } from "../core/deployments.js";
import { parseMicroUsd } from "../core/money.js";

/*
 * USD per 1M tokens, Azure OpenAI Global Standard, as decimal strings so they parse exactly.
 * Source for every row: the Prices table in shared/AZURE-WIRE.md ("secondary price lists,
 * mid-2025 to 2026"), copied 2026-11-29. Data Zone is about 1.1x and regional Standard often a
 * little higher: a deployment priced differently sets its own `price` in the config, which
 * overrides this table. Embedding models have no cached rate and no output: their cached rate is
 * the input rate (no discount is ever invented) and output is 0.
 */
const TABLE: Readonly<Record<string, readonly [input: string, cachedInput: string, output: string]>> = {
  "gpt-4o": ["2.50", "1.25", "10.00"], // AZURE-WIRE.md Prices, read 2026-11-29
  "gpt-4o-mini": ["0.15", "0.075", "0.60"], // AZURE-WIRE.md Prices, read 2026-11-29
  "gpt-4.1": ["2.00", "0.50", "8.00"], // AZURE-WIRE.md Prices, read 2026-11-29
  "gpt-4.1-mini": ["0.40", "0.10", "1.60"], // AZURE-WIRE.md Prices, read 2026-11-29
  "gpt-4.1-nano": ["0.10", "0.025", "0.40"], // AZURE-WIRE.md Prices, read 2026-11-29
  "o3-mini": ["1.10", "0.55", "4.40"], // AZURE-WIRE.md Prices, read 2026-11-29
  "o4-mini": ["1.10", "0.275", "4.40"], // AZURE-WIRE.md Prices, read 2026-11-29
  "text-embedding-3-small": ["0.02", "0.02", "0"], // AZURE-WIRE.md Prices, read 2026-11-29 (input only)
  "text-embedding-3-large": ["0.13", "0.13", "0"], // AZURE-WIRE.md Prices, read 2026-11-29 (input only)
};

function exact(usd: string, model: string): number {
  const micros = parseMicroUsd(usd);
  if (micros === undefined) throw new Error(`price table: '${usd}' for ${model} is not a decimal USD amount`);
  return micros;
}

const PRICES: ReadonlyMap<string, Price> = new Map(
  Object.entries(TABLE).map(([model, [input, cached, output]]) => [
    model,
    Object.freeze({
      inputMicroUsdPer1M: exact(input, model),
      cachedInputMicroUsdPer1M: exact(cached, model),
      outputMicroUsdPer1M: exact(output, model),
    }),
  ]),
);

// OpenAI-style snapshot names append the release date ("gpt-4o-2024-11-20", "o3-mini-2025-01-31").
// Only that exact suffix is stripped: a prefix match would price "gpt-4o-mini-..." or
// "gpt-4o-realtime-preview" as gpt-4o, which is a different price.
const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The models the built-in table prices. */
export const PRICED_MODELS: readonly string[] = Object.freeze([...PRICES.keys()]);

/**
 * The price for a request: the deployment's own override when it has one, else the built-in
 * price of the model's family, else undefined. An unknown model is not guessed at: the caller
 * records cost 0 (see `costOf`) and the tokens, so the cost can be recomputed once a price is set;
 * such rows are `cost_micro_usd = 0` with tokens > 0.
 */
export function priceFor(model: string, override?: Price): Price | undefined {
  if (override !== undefined) return override;
  const name = model.trim().toLowerCase();
  return PRICES.get(name) ?? PRICES.get(name.replace(SNAPSHOT_SUFFIX, ""));
}

export interface BillableUsage {
  /** All input tokens, cached ones included (Azure's convention). */
  readonly promptTokens: number;
  /** The part of promptTokens served from the prompt cache, billed at the cached rate. */
  readonly cachedTokens: number;
  readonly completionTokens: number;
}

const PER_MILLION = 1_000_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Cost in integer micro-USD. Rounding rule: the exact total of all three parts is computed in
 * integers (BigInt: tokens x micro-USD per 1M can pass 2^53), then rounded ONCE, half up, to a
 * whole micro-USD: (sum + 500_000) / 1_000_000, truncating. Rounding each part separately would
 * bill 0.5 + 0.5 micro-USD as 2. Cached tokens count at the cached rate and the rest of
 * promptTokens at the input rate; a cachedTokens above promptTokens (never sent by Azure) is
 * capped at promptTokens, so a cost is never negative. Throws RangeError on counts that are not
 * non-negative safe integers or a cost beyond Number.MAX_SAFE_INTEGER micro-USD (about 9 billion USD).
 */
export function costMicroUsd(usage: BillableUsage, price: Price): number {
  const prompt = whole(usage.promptTokens, "promptTokens");
  const cached = min(whole(usage.cachedTokens, "cachedTokens"), prompt);
  const completion = whole(usage.completionTokens, "completionTokens");
  const total =
    (prompt - cached) * whole(price.inputMicroUsdPer1M, "inputMicroUsdPer1M") +
    cached * whole(price.cachedInputMicroUsdPer1M, "cachedInputMicroUsdPer1M") +
    completion * whole(price.outputMicroUsdPer1M, "outputMicroUsdPer1M");
  const rounded = (total + PER_MILLION / 2n) / PER_MILLION;
  if (rounded > MAX_SAFE) throw new RangeError(`cost ${rounded} micro-USD is beyond the exact integer range`);
  return Number(rounded);
}

/** Cost for a model by the table (or override); an unpriced model costs 0 and says so in `priced`. */
export function costOf(model: string, usage: BillableUsage, override?: Price): { costMicroUsd: number; priced: boolean } {
  return costAt(priceFor(model, override), usage);
}

/** Cost at a price already looked up (see `priceFor`); no price costs 0 and says so in `priced`. */
export function costAt(price: Price | undefined, usage: BillableUsage): { costMicroUsd: number; priced: boolean } {
  return price === undefined ? { costMicroUsd: 0, priced: false } : { costMicroUsd: costMicroUsd(usage, price), priced: true };
}

function whole(n: number, name: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, not ${n}`);
  return BigInt(n);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
