// The chain of steps: the order compose runs them in, and a misordered chain refused when it is built.
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/core/context.js";
import { compose, type Handler, type Step, type Terminal } from "../../src/core/pipeline.js";
import { settledAfterSend, type Result } from "../../src/core/results.js";
import { listModels } from "../../src/operations/models/operation.js";

const call = listModels.parse({ body: undefined, params: {}, query: new URLSearchParams(), style: "openai" });
const ctx = () => createContext({ requestId: "req_1", protocol: "http", signal: new AbortController().signal, credential: undefined, peer: undefined });
const local = (): Result => ({ kind: "local", json: {}, upstream: undefined, settled: settledAfterSend({ outcome: "ok" }) });

function recording(name: string, log: string[], needs: Step["needs"] = [], gives: Step["gives"] = []): Step {
  return {
    name,
    needs,
    gives,
    wrap: (next: Handler) => async (c, x) => {
      log.push(`${name}:before`);
      const r = await next(c, x);
      log.push(`${name}:after`);
      return r;
    },
  };
}

describe("compose", () => {
  it("runs the steps in order around the terminal, and unwinds in reverse", async () => {
    const log: string[] = [];
    const terminal: Terminal = { needs: [], handle: async () => (log.push("terminal"), local()) };
    await compose([recording("a", log), recording("b", log)], terminal)(call, ctx());
    expect(log).toEqual(["a:before", "b:before", "terminal", "b:after", "a:after"]);
  });

  it("refuses to build a chain where a step needs what no earlier step gives, naming the fix", () => {
    const log: string[] = [];
    const terminal: Terminal = { needs: ["targets"], handle: async () => local() };
    const auth = recording("authenticate", log, [], ["caller"]);
    const route = recording("route", log, ["caller"], ["targets"]);
    const limits = recording("limits", log, ["caller", "targets"]);
    expect(() => compose([auth, route, limits], terminal)).not.toThrow();
    expect(() => compose([limits, auth, route], terminal)).toThrow(/"limits" needs "caller".*put "authenticate" before it/);
    expect(() => compose([auth, limits, route], terminal)).toThrow(/"limits" needs "targets".*put "route" before it/);
    expect(() => compose([auth], terminal)).toThrow(/"the upstream call" needs "targets"/);
  });
});
