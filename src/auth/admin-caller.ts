// Who is calling the control plane: the operator (AIK_ADMIN_TOKEN) or a user by session; never an API key.
import type { CallContext } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import type { UserRecord, UserStore } from "../store/users.js";
import type { OperatorToken } from "./operator-token.js";
import { looksLikeSession, type SessionService } from "./sessions.js";

export type AdminCaller =
  | { readonly kind: "operator" }
  | { readonly kind: "user"; readonly user: UserRecord; readonly sessionId: string; readonly expiresAt: Date };

function unauthenticated(): GatewayError {
  return new GatewayError("unauthenticated", "Invalid or missing session: log in with AuthService.Login, or use the operator token.", {
    reason: "invalid_session",
  });
}

export class AdminCallers {
  // One resolution per call: the transport resolves the caller before reading the request, and the
  // method asks again for the same answer. Weak, so a finished call's entry goes with its context.
  private readonly resolved = new WeakMap<CallContext, Promise<AdminCaller>>();

  constructor(
    private readonly operator: OperatorToken,
    private readonly sessions: SessionService,
    private readonly users: UserStore,
  ) {}

  /** The caller of this call, resolved from its credential once however often it is asked for. */
  of(ctx: CallContext): Promise<AdminCaller> {
    let caller = this.resolved.get(ctx);
    if (!caller) {
      caller = this.resolve(ctx.credential);
      this.resolved.set(ctx, caller);
    }
    return caller;
  }

  private async resolve(credential: string | undefined): Promise<AdminCaller> {
    if (!credential) throw unauthenticated();
    // The operator check runs on every credential (constant time), so timing does not say which kind it was.
    const isOperator = this.operator.matches(credential);
    if (isOperator) return { kind: "operator" };
    if (!looksLikeSession(credential)) throw unauthenticated();
    const session = await this.sessions.resolve(credential);
    const user = session ? await this.users.get(session.userId) : undefined;
    if (!session || !user || user.status !== "active") throw unauthenticated();
    return { kind: "user", user, sessionId: session.id, expiresAt: session.expiresAt };
  }
}
