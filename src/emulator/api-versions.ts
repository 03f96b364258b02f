// Which classic api-versions exist and which request fields each one knows.

/** Classic routes take dated GA (`2024-10-21`) or preview (`2025-04-01-preview`) versions; anything else is a 404. */
const CLASSIC_VERSION = /^(\d{4}-\d{2}-\d{2})(-preview)?$/;

/** First GA and first preview that know `stream_options` and `max_completion_tokens`. */
const FIRST_GA_WITH_NEW_FIELDS = "2024-10-21";
// AZURE-WIRE.md says preview ≥ 2024-09-01; the emulator's brief (and field reports of 2024-08-01-preview
// accepting `stream_options`) say 2024-08-01. The earlier date is the one that rejects fewer real calls.
const FIRST_PREVIEW_WITH_NEW_FIELDS = "2024-08-01";

/** The Responses API came to classic routes with this preview; GA versions never served it. */
const FIRST_RESPONSES_PREVIEW = "2025-03-01";

export function isClassicApiVersion(version: string): boolean {
  return CLASSIC_VERSION.test(version);
}

/** v1 routes (no classic version) always know the newest fields. */
export function knowsNewFields(classicVersion: string | undefined): boolean {
  if (classicVersion === undefined) return true;
  const match = CLASSIC_VERSION.exec(classicVersion);
  if (!match || match[1] === undefined) return false;
  const date = match[1];
  return match[2] ? date >= FIRST_PREVIEW_WITH_NEW_FIELDS : date >= FIRST_GA_WITH_NEW_FIELDS;
}

/** Classic Responses routes take only dated previews from 2025-03-01-preview on; anything else is Azure's plain 404. */
export function servesResponses(classicVersion: string): boolean {
  const match = CLASSIC_VERSION.exec(classicVersion);
  return match !== null && match[2] !== undefined && match[1] !== undefined && match[1] >= FIRST_RESPONSES_PREVIEW;
}
