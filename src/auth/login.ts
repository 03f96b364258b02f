// Email + password -> session, with lockout: unknown email, wrong password and locked account look the same.
import { createHash } from "node:crypto";
import { GatewayError } from "../core/errors.js";
import type { UserRecord, UserStore } from "../store/users.js";
import { ANONYMOUS_ACTOR, type AuditSink } from "./audit.js";
import { canonicalEmail, checkEmailText } from "./email.js";
import type { Admission, LoginGuard } from "./login-guard.js";
import { MAX_PASSWORD_BYTES, verifyPassword } from "./passwords.js";
import type { NewSession, SessionService } from "./sessions.js";

/**
 * Lockout counters are keyed by hashes, so Redis never holds an email in clear, and by the
 * canonical email, the very form the user lookup matches: every spelling that finds an account
 * counts against that account's one counter.
 */
export function accountKey(email: string): string {
  return createHash("sha256").update(`account:${canonicalEmail(email)}`).digest("hex");
}

function sourceKey(peer: string | undefined): string {
  return createHash("sha256").update(`source:${peer ?? "unknown"}`).digest("hex");
}

export class LoginService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionService,
    private readonly guard: LoginGuard,
    private readonly audit: AuditSink,
  ) {}

  async login(email: string, password: string, peer: string | undefined): Promise<NewSession & { user: UserRecord }> {
    // Size and character checks come before any hashing or counting, so a 1 MB password costs nothing.
    const address = checkEmailText(email);
    if (password === "" || Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) {
      throw new GatewayError("invalid_argument", `Invalid 'password': 1 to ${MAX_PASSWORD_BYTES} bytes.`, { param: "password", reason: "invalid_value" });
    }
    const account = accountKey(address);
    const source = sourceKey(peer);
    const admission = await this.guard.begin(account, source);
    // The lookup and one password verification run on every path, so each refusal costs the same time.
    const user = await this.users.byEmail(address);
    const candidate = admission.allowed && user?.status === "active" ? user : undefined;
    const ok = await verifyPassword(candidate?.passwordHash, password);
    if (!ok || !candidate) {
      const lockedNow = admission.allowed ? await this.guard.failed(account) : admission.engaged === "account_lock";
      await this.recordRefusal(admission, lockedNow, account, user, peer);
      throw new GatewayError("unauthenticated", "Invalid email or password.", { reason: "invalid_credentials" });
    }
    await this.guard.succeeded(account, source);
    const session = await this.sessions.create(candidate.id);
    await this.audit.append({ actor: candidate.id, source: peer, action: "login.succeeded", targetId: candidate.id, changes: [] });
    return { ...session, user: candidate };
  }

  /**
   * The attempt that locks an account is recorded whether or not the account exists (target
   * empty then): recording only real accounts would make that one attempt slower for them, and
   * say which exist. The email typed is never recorded: people type passwords into it.
   */
  private async recordRefusal(admission: Admission, lockedNow: boolean, account: string, user: UserRecord | undefined, peer: string | undefined): Promise<void> {
    if (lockedNow) {
      const until = await this.guard.lockedUntil(account);
      await this.audit.append({
        actor: ANONYMOUS_ACTOR,
        source: peer,
        action: "login.account_locked",
        targetId: user?.id,
        changes: until === undefined ? [] : [{ field: "locked_until", new: new Date(until).toISOString() }],
      });
    }
    if (admission.engaged === "source_throttle") {
      await this.audit.append({ actor: ANONYMOUS_ACTOR, source: peer, action: "login.source_throttled", targetId: undefined, changes: [] });
    }
  }
}
