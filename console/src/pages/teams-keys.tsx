// A team's keys: all of them for those who manage the team, a plain member's own otherwise; creating one shows its secret once, revoking asks first.
import { useState } from "preact/hooks";
import { KeyTable, RevokeKeyDialog } from "../components/key-table";
import { LimitsFields, NO_LIMITS, limitsOrReport, type LimitsText } from "../components/limits-fields";
import { AllowedModelsField } from "../components/models-field";
import { ErrorNote } from "../components/notes";
import { SecretDialog } from "../components/secret-dialog";
import { modelList, revokeKey, type ApiKey } from "../models/keys";
import { createTeamKey } from "../models/teams";
import { useSubmission } from "../submission";
import type { Keys, TeamContext } from "./teams-view";

interface Props {
  readonly ctx: TeamContext;
  readonly keys: Keys;
}

export function TeamKeys({ ctx, keys }: Props) {
  const manages = ctx.standing !== "member";
  const self = ctx.session.user.id;
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [revoking, setRevoking] = useState<ApiKey>();
  const inTeam = ctx.members.some((m) => m.userId === self);

  return (
    <section aria-labelledby="team-keys-title">
      <h2 id="team-keys-title">{manages ? "Team keys" : "Your team keys"}</h2>
      <p class="muted">A team key's requests count against the team's limits and budget too. Its secret is shown once, when it is created.</p>
      {keys.kind === "failed" && <ErrorNote message={keys.message} />}
      {keys.kind === "ready" &&
        (keys.keys.length === 0 ? (
          <p class="empty">No team keys yet.</p>
        ) : (
          <KeyTable
            keys={keys.keys}
            label="Team keys"
            tableClass="team-keys"
            inherits="the holder's"
            holderOf={(k) => ctx.nameOf(k.userId)}
            showExpires={false}
            canRevoke={(k) => manages || k.userId === self}
            onRevoke={setRevoking}
          />
        ))}
      {(manages ? ctx.members.length > 0 : inTeam) ? (
        <CreateTeamKeyForm
          ctx={ctx}
          onCreated={(name, secret) => {
            setCreated({ name, secret });
            ctx.changed();
          }}
        />
      ) : (
        manages && <p class="empty">Add a member first: a team key is held by one of the team's members.</p>
      )}
      {created && <SecretDialog name={created.name} secret={created.secret} onClose={() => setCreated(undefined)} />}
      {revoking && (
        <RevokeKeyDialog
          apiKey={revoking}
          onConfirm={() => {
            const k = revoking;
            setRevoking(undefined);
            ctx.act(revokeKey(k.id), `Key “${k.name}” is revoked: requests with it are refused from now on.`);
          }}
          onCancel={() => setRevoking(undefined)}
        />
      )}
    </section>
  );
}

function CreateTeamKeyForm({ ctx, onCreated }: { readonly ctx: TeamContext; readonly onCreated: (name: string, secret: string) => void }) {
  const manages = ctx.standing !== "member";
  const self = ctx.session.user.id;
  // The key needs a holder in the team: the caller when they are in it, else the first member.
  const firstHolder = ctx.members.some((m) => m.userId === self) ? self : (ctx.members[0]?.userId ?? "");
  const [holder, setHolder] = useState(firstHolder);
  const [name, setName] = useState("");
  const [models, setModels] = useState("");
  const [limits, setLimits] = useState<LimitsText>(NO_LIMITS);
  const { busy, error, setError, run } = useSubmission();

  const submit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    const allowedModels = modelList(models);
    // A plain member's key is always their own: the API takes the caller when no user is named.
    const userId = manages && holder !== self ? holder : undefined;
    run(createTeamKey({ teamId: ctx.team.id, userId, name, allowedModels, limits: parsed }), ({ secret }) => {
      setName("");
      setModels("");
      setLimits(NO_LIMITS);
      onCreated(name, secret);
    });
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-team-key-title">
      <h3 id="create-team-key-title">Create a team key</h3>
      <div class="field">
        <label for="team-key-name">Key name</label>
        <input id="team-key-name" name="name" required autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      {manages && (
        <div class="field">
          <label for="team-key-holder">Held by</label>
          <select id="team-key-holder" value={holder} onChange={(e) => setHolder(e.currentTarget.value)}>
            {ctx.members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {ctx.nameOf(m.userId)}
              </option>
            ))}
          </select>
        </div>
      )}
      <AllowedModelsField id="team-key-models" value={models} onChange={setModels} />
      <LimitsFields idPrefix="team-key-limits" legend="Limits of this key (empty fields inherit the holder's)" value={limits} onChange={setLimits} />
      <ErrorNote message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create team key"}
        </button>
      </div>
    </form>
  );
}
