// Properties of the HTTP route table built from the real proto: matching never throws, each template finds itself, and the most specific template wins.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadApiSchema } from "../../src/schema/api-schema.js";
import { RouteTable } from "../../src/transport/http/routes.js";
import { RUNS } from "./arbitraries.js";

const rules = loadApiSchema().httpRules;
const table = new RouteTable(rules);

interface Binding {
  readonly verb: string;
  readonly template: string;
  readonly method: string;
}
const bindings: Binding[] = rules.flatMap(({ service, method, rule }) =>
  [rule, ...rule.additionalBindings].flatMap((r) => (r.pattern && r.pattern.$case !== "custom" ? [{ verb: r.pattern.$case.toUpperCase(), template: r.pattern.value, method: `${service}/${method}` }] : [])),
);
const VERBS = [...new Set(bindings.map((b) => b.verb))];

/** A template with its variable filled in. */
function fill(template: string, value: string): string {
  return template.replace(/\{[^}]*\}/, value);
}
const literal = (template: string): number => template.replace(/\{[^}]*\}/g, "").length;
const variableName = (template: string): string | undefined => /\{([^}=]*)/.exec(template)?.[1];

// Segment values: ids as clients send them, and hostile ones ('/', '..', percent-escapes, control and wide characters).
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  fc.constantFrom("..", "a/b", "%2e%2e", "a%2Fb", "resp_1/cancel", "x/input_items", "\r\n", "\0"),
);
const anyPath = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.tuple(fc.constantFrom(...bindings.map((b) => b.template)), segment, fc.string({ maxLength: 6 })).map(([t, v, tail]) => fill(t, v) + tail),
);

describe("RouteTable over the real schema", () => {
  it("matching any verb and any path never throws, and answers a route, 'method' or nothing consistently with allowedVerbs", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...VERBS, "OPTIONS", "HEAD", "CONNECT"), fc.string({ maxLength: 8 })), anyPath, (verb, path) => {
        const found = table.find(verb, path);
        const allowed = table.allowedVerbs(path);
        if (found === undefined) expect(allowed).toEqual([]);
        else if (found === "method") {
          expect(allowed.length).toBeGreaterThan(0);
          expect(allowed).not.toContain(verb);
        } else {
          expect(found.route.verb).toBe(verb);
          expect(allowed).toContain(verb);
          expect(found.route.match(path)).toEqual(found.params);
        }
      }),
      RUNS,
    );
  });

  it("a path filled from a template finds the most specific template of that verb that matches it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...bindings), segment, ({ verb, template }, value) => {
        const path = fill(template, value);
        const found = table.find(verb, path);
        if (found === undefined || found === "method") throw new Error(`${verb} ${path} found no route, though ${template} matches it`);
        const matching = bindings.filter((b) => b.verb === verb && matches(b.template, path));
        expect(literal(found.route.template)).toBe(Math.max(...matching.map((b) => literal(b.template))));
      }),
      RUNS,
    );
  });

  it("with a plain id, each template finds itself and hands the id back under the variable's name", () => {
    fc.assert(
      fc.property(fc.constantFrom(...bindings), fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/), ({ verb, template, method }, id) => {
        const found = table.find(verb, fill(template, id));
        if (found === undefined || found === "method") throw new Error(`${verb} ${template} does not find itself`);
        expect(found.route.template).toBe(template);
        expect(found.route.methods).toContain(method);
        const name = variableName(template);
        expect(found.params).toEqual(name === undefined ? {} : { [name]: id });
      }),
      RUNS,
    );
  });
});

/** Whether a template matches a path, computed independently of the table: literal prefix and suffix around one variable. */
function matches(template: string, path: string): boolean {
  const open = template.indexOf("{");
  if (open < 0) return template === path;
  const prefix = template.slice(0, open);
  const suffix = template.slice(template.indexOf("}", open) + 1);
  return path.length > prefix.length + suffix.length && path.startsWith(prefix) && path.endsWith(suffix);
}
