// Email and password in, a cookie session out; every failure reads exactly as the gateway words it ("Invalid email or password.").
import { useEffect, useState } from "preact/hooks";
import { describe } from "../api";
import { ErrorNote } from "../components/notes";
import { logIn, type Session } from "../models/session";

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
  useEffect(() => {
    document.title = "Log in · AI-K console";
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
    </main>
  );
}
