// Every call the console makes: same-origin cookie, the CSRF header on changes, errors turned into words, a lost session sent back to login.
import { isObject, type JsonValue } from "./json";

/** An answer the gateway refused, as words: its own message, its status, code and the parameter it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly param: string,
  ) {
    super(message);
  }
}

type Method = "GET" | "POST" | "PATCH";

export interface CallOptions {
  readonly method?: Method;
  readonly body?: JsonValue;
  /** Query parameters; undefined and empty values are left out. */
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** The session endpoints themselves answer 401 as part of their job (wrong password, no session yet). */
  readonly sessionEndpoint?: boolean;
}

// Held in memory only, never in storage: a reload asks /console/api/session for it again.
let csrfToken: string | undefined;
let sessionLost: () => void = () => {};

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** What to do when any call finds the session gone (expired, revoked, forged). */
export function onSessionLost(handler: () => void): void {
  sessionLost = handler;
}

function url(path: string, query: CallOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") params.set(k, v);
  const qs = params.toString();
  return qs === "" ? path : `${path}?${qs}`;
}

async function send(path: string, opts: CallOptions, accept: string): Promise<Response> {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { accept };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken !== undefined) headers["x-csrf-token"] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url(path, opts.query), {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  } catch {
    throw new ApiError(0, "The gateway cannot be reached. Check the connection and try again.", "unreachable", "");
  }
  if (res.ok) return res;
  const error = await errorOf(res);
  if (res.status === 401 && !opts.sessionEndpoint) {
    csrfToken = undefined;
    sessionLost();
  }
  throw error;
}

/** The gateway's own sentence from its error envelope; a status line when there is none. Never the raw body. */
async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = isObject(body) && isObject(body["error"]) ? body["error"] : undefined;
  const message = typeof err?.["message"] === "string" && err["message"].trim() !== "" ? err["message"] : `The gateway answered ${res.status}${res.statusText ? ` (${res.statusText})` : ""}.`;
  const code = typeof err?.["code"] === "string" ? err["code"] : typeof err?.["type"] === "string" ? err["type"] : "";
  const param = typeof err?.["param"] === "string" ? err["param"] : "";
  // A message is a sentence; anything longer is cut so no answer can flood the page.
  return new ApiError(res.status, message.length > 500 ? `${message.slice(0, 500)}…` : message, code, param);
}

export async function callJson(path: string, opts: CallOptions = {}): Promise<unknown> {
  const res = await send(path, opts, "application/json");
  if (res.status === 204) return null;
  try {
    const parsed: unknown = await res.json();
    return parsed;
  } catch {
    throw new ApiError(res.status, "The gateway's answer could not be read.", "unreadable", "");
  }
}

/** The same route answered as CSV (the usage report's `Accept: text/csv`). */
export async function callCsv(path: string, opts: CallOptions = {}): Promise<string> {
  const res = await send(path, opts, "text/csv");
  return res.text();
}

/** What a failure says to a person: always a sentence. */
export function describe(e: unknown): string {
  if (e instanceof Error && e.message !== "") return e.message;
  return "Something went wrong. Try again.";
}

/** A refusal because the caller may not see or do this (another member's keys or usage, an admin page). */
export function isNotAllowed(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 403 || e.code === "permission_denied");
}
