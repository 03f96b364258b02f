// Email + password -> session, with lockout: unknown email, wrong password and locked account look the same.
import { createHash } from "node:crypto";
import { GatewayError } from "../core/errors.js";
import type { UserRecord, UserStore } from "../store/users.js";
import type { LoginGuard } from "./login-guard.js";
import { MAX_PASSWORD_BYTES, verifyPassword } from "./passwords.js";
import type { NewSession, SessionService } from "./sessions.js";

const MAX_EMAIL_LENGTH = 254;

/** Lockout counters are keyed by hashes: Redis never holds an email or an address in clear. */
export function accountKey(email: string): string {
  return createHash("sha256").update(`account:${email.trim().toLowerCase()}`).digest("hex");
}

function sourceKey(peer: string | undefined): string {
  return createHash("sha256").update(`source:${peer ?? "unknown"}`).digest("hex");
}

export class LoginService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionService,
    private readonly guard: LoginGuard,
  ) {}

  async login(email: string, password: string, peer: string | undefined): Promise<NewSession & { user: UserRecord }> {
    // Size checks come before any hashing or counting, so a 1 MB password costs nothing.
    if (email === "" || email.length > MAX_EMAIL_LENGTH) {
      throw new GatewayError("invalid_argument", `Invalid 'email': 1 to ${MAX_EMAIL_LENGTH} characters.`, { param: "email", reason: "invalid_value" });
    }
    if (password === "" || Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) {
      throw new GatewayError("invalid_argument", `Invalid 'password': 1 to ${MAX_PASSWORD_BYTES} bytes.`, { param: "password", reason: "invalid_value" });
    }
    const account = accountKey(email);
    const source = sourceKey(peer);
    const admission = await this.guard.begin(account, source);
    // The lookup and one password verification run on every path, so each refusal costs the same time.
    const user = await this.users.byEmail(email);
    const candidate = admission.allowed && user?.status === "active" ? user : undefined;
    const ok = await verifyPassword(candidate?.passwordHash, password);
    if (!ok || !candidate) {
      if (admission.allowed) await this.guard.failed(account);
      throw new GatewayError("unauthenticated", "Invalid email or password.", { reason: "invalid_credentials" });
    }
    await this.guard.succeeded(account, source);
    return { ...(await this.sessions.create(candidate.id)), user: candidate };
  }
}
