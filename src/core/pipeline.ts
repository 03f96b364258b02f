// Policy steps composed around one terminal handler, as undici composes its interceptors; the order is checked when built.
import type { CallContext } from "./context.js";
import type { Call } from "./operation.js";
import type { Result } from "./results.js";

export type Handler = (call: Call, ctx: CallContext) => Promise<Result>;

/** What a step sets on the context for the steps after it. */
export type Fact = "caller" | "objects" | "targets";

/** A step wraps the rest of the chain: it may act before, after, or instead of calling `next`. */
export interface Step {
  readonly name: string;
  /** Facts an earlier step must have set: a chain that breaks this refuses to build. */
  readonly needs: readonly Fact[];
  readonly gives: readonly Fact[];
  wrap(next: Handler): Handler;
}

export interface Terminal {
  readonly needs: readonly Fact[];
  readonly handle: Handler;
}

/**
 * compose([a, b], t) runs a, then b, then t. Throws when a step (or the terminal) needs a fact no
 * step before it gives, so limits or metering can never run quietly without a caller.
 */
export function compose(steps: readonly Step[], terminal: Terminal): Handler {
  const given = new Set<Fact>();
  const check = (name: string, needs: readonly Fact[]): void => {
    for (const fact of needs) {
      if (!given.has(fact)) {
        const giver = steps.find((s) => s.gives.includes(fact))?.name;
        const fix = giver ? `put "${giver}" before it` : `add a step that gives it`;
        throw new Error(`The request chain is misordered: "${name}" needs "${fact}", which no step before it gives; ${fix}.`);
      }
    }
  };
  for (const step of steps) {
    check(step.name, step.needs);
    for (const fact of step.gives) given.add(fact);
  }
  check("the upstream call", terminal.needs);
  return steps.reduceRight<Handler>((next, step) => step.wrap(next), terminal.handle);
}

/** A step's view of a fact its declaration guarantees: the chain check makes a miss a bug, not a request error. */
export function required<T>(value: T | undefined, fact: Fact): T {
  if (value === undefined) throw new Error(`A step ran without "${fact}" although the chain was checked.`);
  return value;
}
