// A team's members with their roles; those who manage the team add members, change a role and remove a member after a confirmation.
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../components/confirm-dialog";
import { ErrorNote } from "../components/notes";
import { formatTime } from "../format";
import { addTeamMember, removeTeamMember, type TeamMember, type TeamRole } from "../models/teams";
import { useSubmission } from "../submission";
import type { TeamContext } from "./teams-view";

function roleOf(value: string): TeamRole {
  return value === "owner" ? "owner" : "member";
}

export function TeamMembers({ ctx }: { readonly ctx: TeamContext }) {
  const manages = ctx.standing !== "member";
  const [removing, setRemoving] = useState<TeamMember>();
  const team = ctx.team;

  return (
    <section aria-labelledby="team-members-title">
      <h2 id="team-members-title">Members</h2>
      {ctx.members.length === 0 ? (
        <p class="empty">No members yet{manages ? ": add one below." : "."}</p>
      ) : (
        <div class="table-wrap" role="region" aria-label="Team members" tabIndex={0}>
          <table class="team-members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                {manages && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {ctx.members.map((m) => {
                const name = ctx.nameOf(m.userId);
                return (
                  <tr key={m.userId} data-user-id={m.userId}>
                    <td class="name">{name}</td>
                    <td>
                      {manages ? (
                        <>
                          <label class="visually-hidden" for={`team-role-${m.userId}`}>
                            Role of {name}
                          </label>
                          <select
                            id={`team-role-${m.userId}`}
                            value={m.role}
                            onChange={(e) => {
                              const role = roleOf(e.currentTarget.value);
                              ctx.act(addTeamMember(team.id, m.userId, role), `${name} is now ${role === "owner" ? "an owner" : "a member"} of “${team.name}”.`);
                            }}
                          >
                            <option value="member">member</option>
                            <option value="owner">owner</option>
                          </select>
                        </>
                      ) : (
                        m.role
                      )}
                    </td>
                    <td>{formatTime(m.addedAt)}</td>
                    {manages && (
                      <td>
                        <button type="button" class="danger small" onClick={() => setRemoving(m)}>
                          Remove<span class="visually-hidden"> {name}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {manages && <AddMemberForm ctx={ctx} />}
      {removing && (
        <ConfirmDialog
          title="Remove this member?"
          confirmLabel="Remove member"
          onConfirm={() => {
            const m = removing;
            setRemoving(undefined);
            ctx.act(removeTeamMember(team.id, m.userId), `${ctx.nameOf(m.userId)} is no longer in “${team.name}”; their team keys are revoked.`);
          }}
          onCancel={() => setRemoving(undefined)}
        >
          <p>
            <span class="name">{ctx.nameOf(removing.userId)}</span> leaves “<span class="name">{team.name}</span>”, and every key they hold for this team is revoked at once.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Admins pick from every user; an owner, who may not list users, names them by user id. */
function AddMemberForm({ ctx }: { readonly ctx: TeamContext }) {
  const pick = ctx.standing === "admin" && ctx.users.length > 0;
  const candidates = ctx.users.filter((u) => !ctx.members.some((m) => m.userId === u.id));
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<TeamRole>("member");
  const { busy, error, setError, run } = useSubmission();
  const submit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const id = userId.trim();
    if (id === "") {
      setError(pick ? "Pick the user to add." : "Enter the user id of the person to add.");
      return;
    }
    run(addTeamMember(ctx.team.id, id, role), () => {
      setUserId("");
      setRole("member");
      ctx.changed(`${ctx.nameOf(id)} is now ${role === "owner" ? "an owner" : "a member"} of “${ctx.team.name}”.`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="add-member-title">
      <h3 id="add-member-title">Add a member</h3>
      {pick ? (
        <div class="field">
          <label for="member-user">User</label>
          <select id="member-user" value={userId} onChange={(e) => setUserId(e.currentTarget.value)}>
            <option value="">Pick a user…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <div class="field">
          <label for="member-user">User id</label>
          <input
            id="member-user"
            name="user_id"
            autoComplete="off"
            aria-describedby="member-user-hint"
            value={userId}
            onInput={(e) => setUserId(e.currentTarget.value)}
          />
          <small id="member-user-hint">The person's user id (a UUID); an admin can look it up.</small>
        </div>
      )}
      <div class="field">
        <label for="member-role">Role in the team</label>
        <select id="member-role" value={role} onChange={(e) => setRole(roleOf(e.currentTarget.value))}>
          <option value="member">member: holds team keys</option>
          <option value="owner">owner: manages the team's members, keys and usage</option>
        </select>
      </div>
      <ErrorNote message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Adding…" : "Add member"}
        </button>
      </div>
    </form>
  );
}
