// Password hashing with argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), bounded input.
import { hash, verify } from "@node-rs/argon2";
import { GatewayError } from "../core/errors.js";

// algorithm 2 is Argon2id (the package's const enum cannot be imported under isolatedModules).
const ARGON2ID = 2;
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Longer passwords are refused before any hashing, so a 1 MB password costs nothing. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 12;

export function checkNewPassword(password: string): void {
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) {
    throw new GatewayError("invalid_argument", `Invalid 'password': at most ${MAX_PASSWORD_BYTES} bytes.`, { param: "password", reason: "invalid_value" });
  }
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new GatewayError("invalid_argument", `Invalid 'password': at least ${MIN_PASSWORD_LENGTH} characters.`, { param: "password", reason: "invalid_value" });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

// A hash of a random password: verifying against it costs what a real verify costs, so an
// unknown email or a locked account takes as long to refuse as a wrong password.
let decoy: Promise<string> | undefined;

/** Verifies `password` against `stored`, or against the decoy when there is no stored hash. */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  decoy ??= hash(`decoy-${Math.random()}-${Date.now()}`, PARAMS);
  const target = stored ?? (await decoy);
  try {
    const ok = await verify(target, password);
    return ok && stored !== undefined;
  } catch {
    return false;
  }
}
