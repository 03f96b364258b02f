// Email and password in, a cookie session out, or "Sign in with <provider>" (single sign-on); every failure reads exactly as the gateway words it.
import { useEffect, useState } from "preact/hooks";
import { describe } from "../api";
import { ErrorNote } from "../components/notes";
import { loginOptions, singleSignOnError, type LoginOptions } from "../models/login-options";
import { logIn, type Session } from "../models/session";
import { currentPlace } from "../router";

interface Props {
  readonly onLoggedIn: (s: Session) => void;
  /** Why the login page is shown again: an ended session or a logout. */
  readonly notice: string | undefined;
}

export function LoginPage({ onLoggedIn, notice }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // undefined while asking; the password form shows until the gateway says it is off.
  const [options, setOptions] = useState<LoginOptions>();
  const ssoReason = currentPlace().query.get("sso_error");
  useEffect(() => {
    document.title = "Log in · AI-K console";
    // Unreadable options leave the password form up: Login itself then says what the gateway allows.
    loginOptions().then(setOptions, () => setOptions({ passwordLogin: true, singleSignOn: undefined }));
  }, []);

  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    logIn(email, password).then(
      (s) => {
        // The password leaves the page's state as soon as it has done its job.
        setPassword("");
        onLoggedIn(s);
      },
      (err: unknown) => {
        setPassword("");
        setError(describe(err));
        setBusy(false);
      },
    );
  };

  return (
    <main id="main" class="login" tabIndex={-1}>
      <h1>AI-K console</h1>
      <p class="lede">Log in to manage your API keys and see what you spent.</p>
      {notice !== undefined && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {ssoReason !== null && <ErrorNote message={singleSignOnError(ssoReason)} />}
      {options?.singleSignOn !== undefined && (
        <section class="card" aria-labelledby="sso-title">
          <h2 id="sso-title">Single sign-on</h2>
          <div class="actions">
            <a class="sign-in" href={options.singleSignOn.url}>
              Sign in with {options.singleSignOn.name}
            </a>
          </div>
        </section>
      )}
      {options?.passwordLogin !== false && (
        <form onSubmit={submit} class="card" aria-labelledby="login-title">
          <h2 id="login-title">Log in</h2>
          <div class="field">
            <label for="login-email">Email</label>
            <input id="login-email" name="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <ErrorNote message={error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? "Logging in…" : "Log in"}
            </button>
          </div>
        </form>
      )}
    </main>
  );
}
