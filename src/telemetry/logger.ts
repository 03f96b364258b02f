// A JSON-lines logger whose fields are metadata by type: ids, names, numbers, flags; never a body.

export type LogLevel = "debug" | "info" | "warn" | "error";
/** Field values are scalars: there is no way to hand it an object (a body, a message list). */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (at: LogLevel, event: string, fields?: LogFields): void => {
    if (RANK[at] < RANK[level]) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: at, event, ...fields })}\n`);
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
  };
}

/**
 * What may be logged of a failure: its class and code. Never its message, which for a JSON
 * parse error or an upstream error can quote the request or response body.
 */
export function errorFields(err: unknown): LogFields {
  if (!(err instanceof Error)) return { error_class: typeof err };
  const code = "code" in err && (typeof err.code === "string" || typeof err.code === "number") ? err.code : undefined;
  return { error_class: err.name, error_code: code };
}
