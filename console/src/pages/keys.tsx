// Keys: the list (name, prefix, models, limits, times, state), a form that creates one and shows its secret once, and revoking with a confirmation.
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { KeyTable, RevokeKeyDialog } from "../components/key-table";
import { LimitsFields, NO_LIMITS, limitsOrReport, type LimitsText } from "../components/limits-fields";
import { AllowedModelsField } from "../components/models-field";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { SecretDialog } from "../components/secret-dialog";
import { createKey, listKeys, modelList, revokeKey, type ApiKey } from "../models/keys";
import type { Session } from "../models/session";
import { useSubmission } from "../submission";

interface Props {
  readonly session: Session;
  /** Whose keys (admins): a user id from ?user_id=; the caller's own when absent. */
  readonly userId: string | undefined;
}

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly keys: readonly ApiKey[] } | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

export function KeysPage({ session, userId }: Props) {
  const owner = userId ?? session.user.id;
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [revoking, setRevoking] = useState<ApiKey>();
  const [status, setStatus] = useState<string>();
  const [actionError, setActionError] = useState<string>();

  const refresh = useCallback(
    () =>
      listKeys(owner).then(
        (keys) => setLoad({ kind: "ready", keys }),
        (e: unknown) => setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) }),
      ),
    [owner],
  );
  useEffect(() => void refresh(), [refresh]);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`You may see only your own keys. (${load.message})`} />;

  const revoke = (k: ApiKey): void => {
    setRevoking(undefined);
    setActionError(undefined);
    revokeKey(k.id).then(
      () => refresh().then(() => setStatus(`Key “${k.name}” is revoked: requests with it are refused from now on.`)),
      (e: unknown) => setActionError(describe(e)),
    );
  };

  return (
    <>
      <h1>API keys</h1>
      <p class="lede">
        {owner === session.user.id ? "Your keys. " : "The keys of the user you picked. "}A key is shown once, when it is created; afterwards only its prefix identifies it.
      </p>
      <p role="status" class="notice" hidden={status === undefined}>
        {status}
      </p>
      <ErrorNote message={actionError} />
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" &&
        (load.keys.length === 0 ? (
          <p class="empty">No keys yet: create one below.</p>
        ) : (
          <KeyTable keys={load.keys} label="API keys" tableClass="keys" inherits="the user's" showExpires canRevoke={() => true} onRevoke={setRevoking} />
        ))}
      <CreateKeyForm
        userId={userId}
        onCreated={(name, secret) => {
          setStatus(undefined);
          setCreated({ name, secret });
          void refresh();
        }}
      />
      {created && <SecretDialog name={created.name} secret={created.secret} onClose={() => setCreated(undefined)} />}
      {revoking && <RevokeKeyDialog apiKey={revoking} onConfirm={() => revoke(revoking)} onCancel={() => setRevoking(undefined)} />}
    </>
  );
}

function CreateKeyForm({ userId, onCreated }: { readonly userId: string | undefined; readonly onCreated: (name: string, secret: string) => void }) {
  const [name, setName] = useState("");
  const [models, setModels] = useState("");
  const [expires, setExpires] = useState("");
  const [limits, setLimits] = useState<LimitsText>(NO_LIMITS);
  const { busy, error, setError, run } = useSubmission();

  const submit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    const parsed = limitsOrReport(limits, setError);
    if (!parsed) return;
    const allowedModels = modelList(models);
    // A date input gives a day; the key works through the whole of that UTC day.
    const expiresAt = expires === "" ? undefined : `${expires}T23:59:59Z`;
    run(createKey({ userId, name, allowedModels, expiresAt, limits: parsed }), ({ secret }) => {
      setName("");
      setModels("");
      setExpires("");
      setLimits(NO_LIMITS);
      onCreated(name, secret);
    });
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <div class="field">
        <label for="key-name">Name</label>
        <input id="key-name" name="name" required autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <AllowedModelsField id="key-models" value={models} onChange={setModels} />
      <div class="field">
        <label for="key-expires">Expires after (UTC day)</label>
        <input id="key-expires" name="expires" type="date" aria-describedby="key-expires-hint" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
        <small id="key-expires-hint">Empty: the key does not expire.</small>
      </div>
      <LimitsFields idPrefix="key-limits" legend="Limits of this key (empty fields inherit yours)" value={limits} onChange={setLimits} />
      <ErrorNote message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}
