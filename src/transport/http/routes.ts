// HTTP routes compiled from the proto's google.api.http annotations: one table, no hand-written paths.
import type { HttpRule } from "../../../gen/google/api/http.js";
import { invalidArgument } from "../../core/errors.js";
import type { RouteStyle } from "../../core/operation.js";
import type { MethodRule } from "../../schema/api-schema.js";

export interface Route {
  readonly verb: string;
  /** "aik.v1.ChatService/CreateChatCompletion" for every method bound to this verb and path. */
  readonly methods: readonly string[];
  readonly template: string;
  /** OpenAI's `/v1/...`, Azure's `/openai/v1/...`, or Azure's classic `/openai/...?api-version=`. */
  readonly style: RouteStyle;
  /** The annotation binds a request body (`body: "*"`). */
  readonly hasBody: boolean;
  /** Literal characters in the template: the more, the more specific. */
  readonly specificity: number;
  match(path: string): Record<string, string> | undefined;
}

export interface RouteMatch {
  readonly route: Route;
  /** As they stand in the path, still percent-encoded: see decodeParams. */
  readonly params: Record<string, string>;
}

/** A match's parameters percent-decoded; a segment that is not valid percent-encoding is a 400 naming the parameter. */
export function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      throw invalidArgument(name, `Invalid '${name}': the path segment is not valid percent-encoding.`);
    }
  }
  return out;
}

export class RouteTable {
  /** In the proto's order, which the Allow header follows. */
  private readonly routes: Route[] = [];
  /** The same routes, most literal text first (a stable sort: ties keep the proto's order). */
  private readonly bySpecificity: readonly Route[];

  constructor(rules: readonly MethodRule[]) {
    for (const { service, method, rule } of rules) {
      for (const r of [rule, ...rule.additionalBindings]) this.add(`${service}/${method}`, r);
    }
    this.bySpecificity = [...this.routes].sort((a, b) => b.specificity - a.specificity);
  }

  /**
   * undefined: no such path; "method": the path exists for other verbs. When several templates
   * match (`/v1/responses/{id}` and `/v1/responses/{id}/cancel`), the one with more literal text wins.
   */
  find(verb: string, path: string): RouteMatch | "method" | undefined {
    for (const route of this.bySpecificity) {
      if (route.verb !== verb) continue;
      const params = route.match(path);
      if (params) return { route, params };
    }
    return this.routes.some((r) => r.match(path) !== undefined) ? "method" : undefined;
  }

  allowedVerbs(path: string): string[] {
    return [...new Set(this.routes.filter((r) => r.match(path)).map((r) => r.verb))];
  }

  methods(): Set<string> {
    return new Set(this.routes.flatMap((r) => r.methods));
  }

  private add(method: string, rule: HttpRule): void {
    if (!rule.pattern || rule.pattern.$case === "custom") return;
    const verb = rule.pattern.$case.toUpperCase();
    const template = rule.pattern.value;
    const existing = this.routes.find((r) => r.verb === verb && r.template === template);
    if (existing) {
      this.routes[this.routes.indexOf(existing)] = { ...existing, methods: [...existing.methods, method] };
      return;
    }
    this.routes.push({
      verb,
      methods: [method],
      template,
      style: styleOf(template),
      hasBody: rule.body !== "",
      specificity: template.replace(/\{[^}]*\}/g, "").length,
      match: compile(template),
    });
  }
}

/**
 * A template has literal segments and at most one `{var}`. The variable takes everything
 * between the literal prefix and suffix, '/' included, so a name smuggling a '/' or '..'
 * is caught by name validation (400) instead of falling through to a 404.
 */
function compile(template: string): (path: string) => Record<string, string> | undefined {
  const open = template.indexOf("{");
  if (open < 0) return (path) => (path === template ? {} : undefined);
  const close = template.indexOf("}", open);
  const name = template.slice(open + 1, close).split("=")[0] ?? "";
  const prefix = template.slice(0, open);
  const suffix = template.slice(close + 1);
  return (path) => {
    if (path.length <= prefix.length + suffix.length || !path.startsWith(prefix) || !path.endsWith(suffix)) return undefined;
    return { [name]: path.slice(prefix.length, path.length - suffix.length) };
  };
}

function styleOf(template: string): RouteStyle {
  if (template.startsWith("/openai/v1/")) return "azure-v1";
  return template.startsWith("/openai/") ? "azure-classic" : "openai";
}
