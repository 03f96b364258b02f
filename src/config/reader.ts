// Reads one config object field by field, tracking the path so every error names the field and the fix.
import { isArray, isObject, type JsonObject, type JsonValue } from "../core/json.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export class Reader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly obj: JsonObject,
    private readonly path: string,
  ) {}

  static of(value: JsonValue | undefined, path: string): Reader {
    if (value === undefined || value === null) return new Reader({}, path);
    if (!isObject(value)) throw new ConfigError(`${path || "config"} must be a mapping of fields.`);
    return new Reader(value, path);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  raw(key: string): JsonValue | undefined {
    this.seen.add(key);
    return this.obj[key];
  }

  child(key: string): Reader {
    return Reader.of(this.raw(key), this.at(key));
  }

  list(key: string): Reader[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!isArray(v)) throw new ConfigError(`${this.at(key)} must be a list.`);
    return v.map((item, i) => Reader.of(item, `${this.at(key)}[${i}]`));
  }

  /** A list of non-empty strings. */
  strings(key: string): string[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!isArray(v) || !v.every((x): x is string => typeof x === "string" && x.trim() !== "")) {
      throw new ConfigError(`${this.at(key)} must be a list of non-empty strings.`);
    }
    return v.map((x) => x.trim());
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.trim() === "") throw new ConfigError(`${this.at(key)} must be a non-empty string.`);
    return v.trim();
  }

  requiredString(key: string, hint: string): string {
    const v = this.string(key);
    if (v === undefined) throw new ConfigError(`${this.at(key)} is required: ${hint}.`);
    return v;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${this.at(key)} must be a whole number from ${min} to ${max}.`);
    }
    return v;
  }

  /** One of `allowed`, or `fallback` when left out; `expected` names the choices in the error when the quoted list will not do. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T, expected?: string): T {
    const v = this.string(key);
    return v === undefined ? fallback : pick(allowed, v, this.at(key), expected);
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw new ConfigError(`${this.at(key)} must be true or false.`);
    return v;
  }

  /** Every field must have been read: a typo in a field name is an error, not a silent default. */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) throw new ConfigError(`${this.at(key)} is not a known setting: check its spelling.`);
    }
  }
}

/** Parses a whole-number environment variable strictly. */
export function envInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

/** Parses an environment variable that must be one of `allowed`; unset or empty is `fallback`. */
export function envOneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T, expected?: string): T {
  const v = env[name];
  return v === undefined || v === "" ? fallback : pick(allowed, v, name, expected);
}

function pick<T extends string>(allowed: readonly T[], v: string, at: string, expected: string | undefined): T {
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new ConfigError(`${at} must be ${expected ?? either(allowed)}.`);
  return found;
}

/** `"a" or "b"`, `"a", "b" or "c"`. */
function either(allowed: readonly string[]): string {
  const quoted = allowed.map((a) => `"${a}"`);
  return quoted.length < 2 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}
