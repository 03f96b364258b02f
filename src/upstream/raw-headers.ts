// Response headers as undici hands them to a dispatch handler (name, value, name, value... as Buffers), read without building a header object per answer.

/** The first value of a header, by its lower-case name, without turning the other headers into strings. */
export function headerValue(raw: readonly Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i];
    if (n !== undefined && n.length === name.length && n.toString("latin1").toLowerCase() === name) return raw[i + 1]?.toString("latin1");
  }
  return undefined;
}

/** Every header as an object of lower-case names, a repeated one as an array (what an error answer's mapping reads). */
export function headerObject(raw: readonly Buffer[]): Record<string, string | string[]> {
  // No prototype: a header named __proto__ is a header like any other.
  const out = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]?.toString("latin1").toLowerCase();
    const value = raw[i + 1]?.toString("latin1");
    if (name === undefined || value === undefined) continue;
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}
