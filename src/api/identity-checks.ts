// Input checks for the control plane: ids, emails, key names, model lists; each failure names its field.
import { canonicalEmail, checkEmailText } from "../auth/email.js";
import { invalidArgument } from "../core/errors.js";
import { isValidName } from "../core/names.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
const CONTROL = /[\x00-\x1f\x7f]/;

export function checkId(id: string, param = "id"): string {
  if (!UUID.test(id)) throw invalidArgument(param, `Invalid '${param}': expected a UUID such as 2f1c0b9e-8a4f-4e0e-9d7a-1b2c3d4e5f60.`);
  return id;
}

/** The address as typed (trimmed) for display; its shape is checked on the canonical form, the one that is matched. */
export function checkEmail(email: string): string {
  const e = checkEmailText(email);
  if (!EMAIL.test(canonicalEmail(e))) throw invalidArgument("email", "Invalid 'email': expected an address such as ops@example.com.");
  return e;
}

export function checkKeyName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 100 || CONTROL.test(n)) {
    throw invalidArgument("name", "Invalid 'name': 1 to 100 printable characters.");
  }
  return n;
}

export function checkModels(models: readonly string[]): string[] {
  if (models.length > 100) throw invalidArgument("allowed_models", "Invalid 'allowed_models': at most 100 models.");
  models.forEach((m, i) => {
    if (!isValidName(m)) throw invalidArgument(`allowed_models[${i}]`, `Invalid 'allowed_models[${i}]': not a model name.`);
  });
  return [...new Set(models)];
}

export function checkFuture(date: Date | undefined, param: string): Date | undefined {
  if (date !== undefined && date.getTime() <= Date.now()) {
    throw invalidArgument(param, `Invalid '${param}': must be in the future.`);
  }
  return date;
}

/** The longest a replaced API key secret may keep working: 7 days. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** Refused, never clamped: a caller who asked for 8 days must learn that they do not get them. */
export function checkGraceSeconds(seconds: number | undefined): number {
  // Required: left out by mistake, a default of 0 would cut the old secret off at once.
  if (seconds === undefined) {
    throw invalidArgument("grace_seconds", "Missing 'grace_seconds': how long the old secret keeps working, 0 (not at all) to 604800 (7 days).");
  }
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_GRACE_SECONDS) {
    throw invalidArgument("grace_seconds", `Invalid 'grace_seconds': expected a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (7 days).`);
  }
  return seconds;
}
