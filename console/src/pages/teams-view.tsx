// One team: its name and limits (admins edit them), then its members, its keys and, for those who manage it, its usage this month.
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { LimitsFields, limitsOrReport, limitsText, type LimitsText } from "../components/limits-fields";
import { Modal } from "../components/modal";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import type { ApiKey } from "../models/keys";
import { describeLimits } from "../models/limits";
import type { Session } from "../models/session";
import { getTeam, listMyTeamKeys, listTeamKeys, updateTeam, type Team, type TeamMember } from "../models/teams";
import { listUsers, type User } from "../models/users";
import { BASE, followLink } from "../router";
import { TeamKeys } from "./teams-keys";
import { TeamMembers } from "./teams-members";
import { TeamUsage } from "./teams-usage";

/** What the caller may do here: admins and the team's owners manage it; a plain member reads it and holds their own keys. */
export type Standing = "admin" | "owner" | "member";

/** What every section of the view shares. */
export interface TeamContext {
  readonly team: Team;
  readonly members: readonly TeamMember[];
  readonly standing: Standing;
  readonly session: Session;
  /** Admins only: every user, to name members and to pick whom to add; empty for others (ListUsers is for admins). */
  readonly users: readonly User[];
  /** How a user reads on this page: their email when known, "you", or their id. */
  readonly nameOf: (userId: string) => string;
  /** Runs a change; once the page shows its result, says `done` in the status line, or shows the API's refusal. */
  readonly act: (what: Promise<unknown>, done: string) => void;
  /** A form made a change itself: the page reloads, then says `done` when there is something to say. */
  readonly changed: (done?: string) => void;
}

export type Keys = { readonly kind: "ready"; readonly keys: readonly ApiKey[] } | { readonly kind: "failed"; readonly message: string };

type Load =
  | { readonly kind: "loading" }
  | { readonly kind: "ready"; readonly team: Team; readonly members: readonly TeamMember[]; readonly standing: Standing; readonly keys: Keys }
  | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

interface Props {
  readonly session: Session;
  readonly teamId: string;
}

export function TeamView({ session, teamId }: Props) {
  const self = session.user.id;
  const admin = session.user.role === "admin";
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [users, setUsers] = useState<readonly User[]>([]);
  const [usersError, setUsersError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState(false);
  // Bumped after every change, so the usage section asks again too.
  const [round, setRound] = useState(0);

  const refresh = useCallback(async (): Promise<void> => {
    try {
      const { team, members } = await getTeam(teamId);
      const standing: Standing = admin ? "admin" : members.some((m) => m.userId === self && m.role === "owner") ? "owner" : "member";
      // Listing a whole team's keys is for those who manage it; a plain member sees their own team keys.
      const keys = await (standing === "member" ? listMyTeamKeys(teamId, self) : listTeamKeys(teamId)).then(
        (k): Keys => ({ kind: "ready", keys: k }),
        (e: unknown): Keys => ({ kind: "failed", message: describe(e) }),
      );
      setLoad({ kind: "ready", team, members, standing, keys });
      setRound((r) => r + 1);
    } catch (e) {
      setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) });
    }
  }, [teamId]);
  useEffect(() => void refresh(), [refresh]);
  useEffect(() => {
    if (admin) listUsers().then(setUsers, (e: unknown) => setUsersError(describe(e)));
  }, []);

  const back = (
    <p>
      <a href={`${BASE}teams`} onClick={(e) => followLink(e, "teams")}>
        ← All teams
      </a>
    </p>
  );
  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`You may see only the teams you belong to. (${load.message})`} />;
  if (load.kind !== "ready") {
    return (
      <>
        <h1>Team</h1>
        {back}
        {load.kind === "loading" ? <Loading /> : <ErrorNote message={load.message} />}
      </>
    );
  }

  const emails = new Map(users.map((u) => [u.id, u.email]));
  const changed = (done?: string): void => {
    setStatus(undefined);
    void refresh().then(() => setStatus(done));
  };
  const ctx: TeamContext = {
    team: load.team,
    members: load.members,
    standing: load.standing,
    session,
    users,
    nameOf: (id) => (id === self ? `${session.user.email} (you)` : (emails.get(id) ?? id)),
    act: (what, done) => {
      setError(undefined);
      setStatus(undefined);
      what.then(
        () => changed(done),
        (e: unknown) => setError(describe(e)),
      );
    },
    changed,
  };
  const manages = load.standing !== "member";

  return (
    <>
      <h1 class="name">{load.team.name}</h1>
      {back}
      <p class="lede">
        {load.standing === "admin" ? "You manage every team as an admin. " : load.standing === "owner" ? "You own this team: you manage its members and keys. " : "You are a member of this team. "}
        Team limits: {describeLimits(load.team.limits, "none")}.
      </p>
      {load.standing === "admin" && (
        <div class="toolbar">
          <button type="button" onClick={() => setEditing(true)}>
            Edit team
          </button>
        </div>
      )}
      <p role="status" class="notice" hidden={status === undefined}>
        {status}
      </p>
      <ErrorNote message={error} />
      {usersError !== undefined && <p class="muted">The user list could not be loaded, so members show by id: {usersError}</p>}
      <TeamMembers ctx={ctx} />
      <TeamKeys ctx={ctx} keys={load.keys} />
      {manages && <TeamUsage ctx={ctx} keys={load.keys.kind === "ready" ? load.keys.keys : []} round={round} />}
      {editing && (
        <EditTeamDialog
          team={load.team}
          onDone={(message) => {
            setEditing(false);
            if (message !== undefined) void refresh().then(() => setStatus(message));
          }}
        />
      )}
    </>
  );
}

function EditTeamDialog({ team, onDone }: { readonly team: Team; readonly onDone: (message: string | undefined) => void }) {
  const [name, setName] = useState(team.name);
  const [limits, setLimits] = useState<LimitsText>(limitsText(team.limits));
  const [error, setError] = useState<string>();
  const save = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    updateTeam(team.id, name, parsed).then(
      (t) => onDone(`Team “${t.name}” is saved.`),
      (err: unknown) => setError(describe(err)),
    );
  };
  return (
    <Modal labelledBy="team-dialog-title" onClose={() => onDone(undefined)}>
      <form onSubmit={save}>
        <h2 id="team-dialog-title" class="name">
          Edit team {team.name}
        </h2>
        <div class="field">
          <label for="edit-team-name">Team name</label>
          <input id="edit-team-name" name="name" required autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <LimitsFields idPrefix="edit-team-limits" legend="Team limits (empty fields: no team limit of that kind)" value={limits} onChange={setLimits} />
        <ErrorNote message={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Save team
          </button>
          <button type="button" onClick={() => onDone(undefined)}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
