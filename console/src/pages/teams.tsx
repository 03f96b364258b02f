// Teams: every team (admins) or the caller's own, each opening its team view; admins create teams with their limits here.
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { LimitsFields, NO_LIMITS, limitsOrReport, type LimitsText } from "../components/limits-fields";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { formatTime } from "../format";
import { describeLimits } from "../models/limits";
import type { Session } from "../models/session";
import { createTeam, listTeams, type Team } from "../models/teams";
import { BASE, followLink } from "../router";
import { useSubmission } from "../submission";
import { TeamView } from "./teams-view";

interface Props {
  readonly session: Session;
  /** ?team_id=: one team's view; the list when absent. */
  readonly teamId: string | undefined;
}

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly teams: readonly Team[] } | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

export function TeamsPage({ session, teamId }: Props) {
  if (teamId !== undefined) return <TeamView session={session} teamId={teamId} />;
  return <TeamList session={session} />;
}

/** The in-console path of one team's view. */
export function teamLink(id: string): string {
  return `teams?team_id=${encodeURIComponent(id)}`;
}

function TeamList({ session }: { readonly session: Session }) {
  const admin = session.user.role === "admin";
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [status, setStatus] = useState<string>();
  const refresh = useCallback(
    () =>
      listTeams().then(
        (teams) => setLoad({ kind: "ready", teams }),
        (e: unknown) => setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) }),
      ),
    [],
  );
  useEffect(() => void refresh(), [refresh]);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`You may see only your own teams. (${load.message})`} />;
  return (
    <>
      <h1>Teams</h1>
      <p class="lede">
        {admin ? "Every team. " : "The teams you belong to. "}A team key's requests count against the team's limits and monthly budget as well as the key's and its holder's: the strictest
        wins.
      </p>
      <p role="status" class="notice" hidden={status === undefined}>
        {status}
      </p>
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && (
        <div id="teams-list">
          {load.teams.length === 0 ? (
            <p class="empty">{admin ? "No teams yet: create one below." : "You are in no team. An admin adds people to teams."}</p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Teams" tabIndex={0}>
              <table class="teams">
                <thead>
                  <tr>
                    <th scope="col">Team</th>
                    <th scope="col">Limits</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {load.teams.map((t) => (
                    <tr key={t.id} data-team-id={t.id}>
                      <td class="name">
                        <a href={BASE + teamLink(t.id)} onClick={(e) => followLink(e, teamLink(t.id))}>
                          {t.name}
                        </a>
                      </td>
                      <td>{describeLimits(t.limits, "no team limits")}</td>
                      <td>{formatTime(t.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
      {admin && <CreateTeamForm onCreated={(t) => void refresh().then(() => setStatus(`Team “${t.name}” is created.`))} />}
    </>
  );
}

function CreateTeamForm({ onCreated }: { readonly onCreated: (t: Team) => void }) {
  const [name, setName] = useState("");
  const [limits, setLimits] = useState<LimitsText>(NO_LIMITS);
  const { busy, error, setError, run } = useSubmission();
  const submit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    run(createTeam(name, parsed), (t) => {
      setName("");
      setLimits(NO_LIMITS);
      onCreated(t);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-team-title">
      <h2 id="create-team-title">Create a team</h2>
      <div class="field">
        <label for="team-name">Team name</label>
        <input id="team-name" name="name" required autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <LimitsFields idPrefix="team-limits" legend="Team limits (empty fields: no team limit of that kind)" value={limits} onChange={setLimits} />
      <ErrorNote message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create team"}
        </button>
      </div>
    </form>
  );
}
