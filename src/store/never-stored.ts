// What AI-K never stores, anywhere: the one list the README's "What is stored" table and the console's page are checked against.

export interface NeverStored {
  /** What it is. */
  readonly what: string;
  /** What that covers, or what is kept instead. */
  readonly detail: string;
}

/** Where "anywhere" reaches: every place AI-K writes to. */
export const NEVER_STORED_PLACES = "a table, the outage spool, Redis, a log, a span, a metric, an error message sent elsewhere";

export const NEVER_STORED: readonly NeverStored[] = Object.freeze([
  { what: "Prompts", detail: "messages, instructions and input items sent to a model; held in memory while the request is in flight" },
  { what: "Completions", detail: "answers, reasoning and output items a model returns; relayed, never kept" },
  { what: "Embeddings input", detail: "the text or tokens sent to be embedded" },
  { what: "Tool arguments", detail: "function and tool call arguments and results, in either direction" },
  { what: "Azure's error bodies", detail: "they may quote the request; a 400 goes back only to the client whose request it judged" },
  { what: "API keys", detail: "only their SHA-256 and a display prefix; the key is shown once, at creation or rotation" },
  { what: "Session tokens", detail: "only their SHA-256; the console's cookie holds the token in the browser alone" },
  { what: "Passwords", detail: "only an argon2id hash" },
  { what: "Caller tokens (JWTs)", detail: "checked in memory against the issuer's public keys on each request; only the service account's app_id and name are kept" },
  { what: "Single sign-on tokens", detail: "the provider's code, ID, access and refresh tokens; checked in memory at sign-in, then dropped; only issuer + sub, email and name are kept" },
  { what: "Azure credentials", detail: "static Azure keys and a service principal's client secret stay in the environment they came from; Entra access tokens for Azure live in the gateway's memory until they expire" },
]);
