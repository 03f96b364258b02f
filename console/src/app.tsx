// The console's frame: finds the session, shows login or the page the URL names, the navigation, and logout.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { describe, onSessionLost } from "./api";
import { ErrorNote, Loading } from "./components/notes";
import { currentSession, logOut, type Session } from "./models/session";
import { AdminDeploymentsPage } from "./pages/admin-deployments";
import { AdminUsersPage } from "./pages/admin-users";
import { KeysPage } from "./pages/keys";
import { LimitsPage } from "./pages/limits";
import { LoginPage } from "./pages/login";
import { StoredPage } from "./pages/stored";
import { TeamsPage } from "./pages/teams";
import { UsagePage } from "./pages/usage";
import { BASE, followLink, navigate, usePlace, type Place } from "./router";

interface NavItem {
  readonly page: string;
  readonly label: string;
  readonly adminOnly: boolean;
}

const NAV: readonly NavItem[] = [
  { page: "keys", label: "Keys", adminOnly: false },
  { page: "usage", label: "Usage", adminOnly: false },
  { page: "limits", label: "Limits", adminOnly: false },
  { page: "teams", label: "Teams", adminOnly: false },
  { page: "stored", label: "What we store", adminOnly: false },
  { page: "admin/users", label: "Users", adminOnly: true },
  { page: "admin/deployments", label: "Deployments", adminOnly: true },
];

/** A lost session reloads the login page: a fresh document keeps nothing of the old one. */
function backToLogin(reason: "ended" | "out"): void {
  location.replace(`${BASE}login?${reason}=1`);
}

export function App() {
  const place = usePlace();
  // undefined: still asking; null: no session.
  const [session, setSession] = useState<Session | null>();
  const [failure, setFailure] = useState<string>();

  useEffect(() => {
    onSessionLost(() => backToLogin("ended"));
    currentSession().then(
      (s) => setSession(s ?? null),
      (e: unknown) => setFailure(describe(e)),
    );
  }, []);

  if (failure !== undefined) {
    return (
      <main id="main" class="login" tabIndex={-1}>
        <h1>AI-K console</h1>
        <ErrorNote message={failure} />
        <button type="button" onClick={() => location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (session === undefined) return <Loading />;
  if (session === null) {
    const notice = place.query.has("ended") ? "Your session has ended. Log in again." : place.query.has("out") ? "You are logged out." : undefined;
    return (
      <LoginPage
        notice={notice}
        onLoggedIn={(s) => {
          setSession(s);
          if (place.page === "login" || place.page === "") navigate("keys", true);
        }}
      />
    );
  }
  return <Shell session={session} place={place} />;
}

function Shell({ session, place }: { readonly session: Session; readonly place: Place }) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const page = place.page === "" || place.page === "login" ? "keys" : place.page;
  const item = NAV.find((n) => n.page === page);
  useEffect(() => {
    document.title = `${item?.label ?? "Not found"} · AI-K console`;
  }, [item]);

  // A layout effect: the address says /console/keys before the keys page is first painted (or read by a test).
  useLayoutEffect(() => {
    if (place.page === "" || place.page === "login") navigate("keys", true);
  }, [place.page]);
  // After a navigation, focus goes to the new page's content, as a page load would put it.
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [page, place.query.toString()]);

  const logout = (): void => {
    logOut().then(
      () => backToLogin("out"),
      () => backToLogin("out"),
    );
  };
  const userId = place.query.get("user_id") ?? undefined;
  const teamId = place.query.get("team_id") ?? undefined;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">AI-K console</span>
        <nav aria-label="Console">
          <ul>
            {NAV.filter((n) => !n.adminOnly || session.user.role === "admin").map((n) => (
              <li key={n.page}>
                <a href={BASE + n.page} aria-current={n.page === page ? "page" : undefined} onClick={(e) => followLink(e, n.page)}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="name">{session.user.email}</span> <span class="role">{session.user.role}</span>
          <button type="button" class="small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page === "keys" && <KeysPage key={userId ?? ""} session={session} userId={userId} />}
        {page === "usage" && <UsagePage key={userId ?? ""} session={session} pick={userId ?? ""} />}
        {page === "limits" && <LimitsPage key={userId ?? ""} session={session} userId={userId} />}
        {page === "teams" && <TeamsPage key={teamId ?? ""} session={session} teamId={teamId} />}
        {page === "stored" && <StoredPage />}
        {page === "admin/users" && <AdminUsersPage session={session} />}
        {page === "admin/deployments" && <AdminDeploymentsPage />}
        {item === undefined && (
          <>
            <h1>Not found</h1>
            <p>There is no such page in the console.</p>
          </>
        )}
      </main>
    </>
  );
}
