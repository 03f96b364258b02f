// Admin: every user, with create, disable/enable, unlock, role and limits; links to their keys, usage and limits.
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { LimitsFields, NO_LIMITS, limitsOrReport, limitsText, type LimitsText } from "../components/limits-fields";
import { Modal } from "../components/modal";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { formatTime } from "../format";
import { describeLimits } from "../models/limits";
import type { Session } from "../models/session";
import { createUser, listUsers, unlockUser, updateUser, type Role, type User } from "../models/users";
import { BASE, followLink } from "../router";
import { useSubmission } from "../submission";

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly users: readonly User[] } | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

export function AdminUsersPage({ session }: { readonly session: Session }) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<User>();

  const refresh = useCallback(
    () =>
      listUsers().then(
        (users) => setLoad({ kind: "ready", users }),
        (e: unknown) => setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) }),
      ),
    [],
  );
  useEffect(() => void refresh(), [refresh]);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`Only admins manage users. (${load.message})`} />;

  const act = (what: Promise<User>, done: (u: User) => string): void => {
    setError(undefined);
    setStatus(undefined);
    // The message comes once the list shows the change, so the two never disagree.
    what.then(
      (u) => refresh().then(() => setStatus(done(u))),
      (e: unknown) => setError(describe(e)),
    );
  };

  return (
    <>
      <h1>Users</h1>
      <p class="lede">Everyone who can log in. Disabling a user ends their sessions and stops their keys; unlocking lifts a login lockout at once.</p>
      <p role="status" class="notice" hidden={status === undefined}>
        {status}
      </p>
      <ErrorNote message={error} />
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && (
        <div class="table-wrap" role="region" aria-label="Users" tabIndex={0}>
          <table class="users">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Limits</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {load.users.map((u) => {
                const self = u.id === session.user.id;
                const locked = u.lockedUntil !== undefined && new Date(u.lockedUntil).getTime() > Date.now();
                return (
                  <tr key={u.id} data-user-id={u.id}>
                    <td class="name">{u.label}</td>
                    <td>
                      <label class="visually-hidden" for={`role-${u.id}`}>
                        Role of {u.email}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        value={u.role}
                        disabled={self}
                        onChange={(e) => {
                          const role: Role = e.currentTarget.value === "admin" ? "admin" : "member";
                          act(updateUser(u.id, { role }), (x) => `${x.email} is now ${x.role === "admin" ? "an admin" : "a member"}.`);
                        }}
                      >
                        <option value="member">member</option>
                        <option value="admin">admin</option>
                      </select>
                    </td>
                    <td>
                      <span class={`state state-${u.disabled ? "revoked" : "active"}`}>{u.disabled ? "disabled" : "active"}</span>
                      {locked && <span class="state state-expired"> locked until {formatTime(u.lockedUntil)}</span>}
                    </td>
                    <td>{describeLimits(u.limits, "defaults")}</td>
                    <td>{formatTime(u.createdAt)}</td>
                    <td>
                      <div class="row-actions">
                        {!self && (
                          <button
                            type="button"
                            class="small"
                            onClick={() => act(updateUser(u.id, { disabled: !u.disabled }), (x) => `${x.email} is ${x.disabled ? "disabled" : "active again"}.`)}
                          >
                            {u.disabled ? "Enable" : "Disable"}
                            <span class="visually-hidden"> {u.email}</span>
                          </button>
                        )}
                        {locked && (
                          <button type="button" class="small" onClick={() => act(unlockUser(u.id), (x) => `${x.email} may log in again.`)}>
                            Unlock<span class="visually-hidden"> {u.email}</span>
                          </button>
                        )}
                        <button type="button" class="small" onClick={() => setEditing(u)}>
                          Limits<span class="visually-hidden"> of {u.email}</span>
                        </button>
                        <a class="small" href={`${BASE}keys?user_id=${u.id}`} onClick={(e) => followLink(e, `keys?user_id=${u.id}`)}>
                          Keys<span class="visually-hidden"> of {u.email}</span>
                        </a>
                        <a class="small" href={`${BASE}usage?user_id=${u.id}`} onClick={(e) => followLink(e, `usage?user_id=${u.id}`)}>
                          Usage<span class="visually-hidden"> of {u.email}</span>
                        </a>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <CreateUserForm
        onCreated={(u) => void refresh().then(() => setStatus(`${u.email} is created.`))}
      />
      {editing && (
        <LimitsDialog
          user={editing}
          onDone={(message) => {
            setEditing(undefined);
            if (message !== undefined) void refresh().then(() => setStatus(message));
          }}
        />
      )}
    </>
  );
}

function CreateUserForm({ onCreated }: { readonly onCreated: (u: User) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [limits, setLimits] = useState<LimitsText>(NO_LIMITS);
  const { busy, error, setError, run } = useSubmission();
  const submit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    run(createUser(email, password, role, parsed), (u) => {
      setEmail("");
      setPassword("");
      setRole("member");
      setLimits(NO_LIMITS);
      onCreated(u);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-user-title">
      <h2 id="create-user-title">Create a user</h2>
      <div class="field">
        <label for="user-email">Email</label>
        <input id="user-email" name="email" type="email" autoComplete="off" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="user-password">Password</label>
        <input
          id="user-password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          aria-describedby="user-password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <small id="user-password-hint">At least 12 characters. Hand it over in person or through a password manager.</small>
      </div>
      <div class="field">
        <label for="user-role">Role</label>
        <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value === "admin" ? "admin" : "member")}>
          <option value="member">member: manages their own keys</option>
          <option value="admin">admin: manages everyone</option>
        </select>
      </div>
      <LimitsFields idPrefix="user-limits" legend="Limits (empty fields use the configured defaults)" value={limits} onChange={setLimits} />
      <ErrorNote message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create user"}
        </button>
      </div>
    </form>
  );
}

function LimitsDialog({ user, onDone }: { readonly user: User; readonly onDone: (message: string | undefined) => void }) {
  const [limits, setLimits] = useState<LimitsText>(limitsText(user.limits));
  const [error, setError] = useState<string>();
  const save = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    updateUser(user.id, { limits: parsed }).then(
      (u) => onDone(`The limits of ${u.email} are saved.`),
      (err: unknown) => setError(describe(err)),
    );
  };
  return (
    <Modal labelledBy="limits-dialog-title" onClose={() => onDone(undefined)}>
      <form onSubmit={save}>
        <h2 id="limits-dialog-title" class="name">
          Limits of {user.email}
        </h2>
        <LimitsFields idPrefix="edit-limits" legend="Empty fields use the configured defaults" value={limits} onChange={setLimits} />
        <ErrorNote message={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Save limits
          </button>
          <button type="button" onClick={() => onDone(undefined)}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
