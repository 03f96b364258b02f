// Model and deployment names: checked before any URL is built from them.
import { GatewayError } from "./errors.js";

// Azure deployment names are letters, digits, '_', '-' and '.'; model names add ':'.
// Anything else ('/', '%', '?', '#', CR/LF, control or non-ASCII characters) is refused,
// so a name can never change the upstream URL.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,126}[A-Za-z0-9])?$/;

export function isValidName(name: string): boolean {
  return NAME.test(name) && !name.includes("..");
}

/** Returns the name or throws a 400 naming the parameter; never echoes the value. */
export function checkName(name: string, param: string): string {
  if (!isValidName(name)) {
    throw new GatewayError(
      "invalid_argument",
      `Invalid '${param}': names are 1-128 characters of letters, digits, '.', '_', '-' and ':', with no '..'.`,
      { param, reason: "invalid_value" },
    );
  }
  return name;
}
