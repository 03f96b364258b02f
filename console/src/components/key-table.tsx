// The one table of API keys (a user's, or a team's with their holders) and the one revoke confirmation, for the keys and team pages.
import { ConfirmDialog } from "./confirm-dialog";
import { formatTime } from "../format";
import { keyState, type ApiKey } from "../models/keys";
import { describeLimits } from "../models/limits";

interface KeyTableProps {
  readonly keys: readonly ApiKey[];
  /** The table's accessible name and its class (the pages' tests and styles find it by class). */
  readonly label: string;
  readonly tableClass: string;
  /** Whose limits an empty key limit inherits, as the limits cell says it ("the user's"). */
  readonly inherits: string;
  /** A team's keys name who holds each; a user's own keys need not. */
  readonly holderOf?: (k: ApiKey) => string;
  readonly showExpires: boolean;
  readonly canRevoke: (k: ApiKey) => boolean;
  readonly onRevoke: (k: ApiKey) => void;
}

export function KeyTable(p: KeyTableProps) {
  return (
    <div class="table-wrap" role="region" aria-label={p.label} tabIndex={0}>
      <table class={p.tableClass}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            {p.holderOf && <th scope="col">Holder</th>}
            <th scope="col">Models</th>
            <th scope="col">Limits</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            {p.showExpires && <th scope="col">Expires</th>}
            <th scope="col">State</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {p.keys.map((k) => {
            const state = keyState(k);
            return (
              <tr key={k.id} data-key-id={k.id}>
                <td class="name">{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                {p.holderOf && <td class="name">{p.holderOf(k)}</td>}
                <td>{k.allowedModels.length === 0 ? "all" : k.allowedModels.join(", ")}</td>
                <td>{describeLimits(k.limits, p.inherits)}</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{formatTime(k.lastUsedAt)}</td>
                {p.showExpires && <td>{formatTime(k.expiresAt)}</td>}
                <td>
                  <span class={`state state-${state}`}>{state}</span>
                </td>
                <td>
                  {state === "active" && p.canRevoke(k) && (
                    <button type="button" class="danger small" onClick={() => p.onRevoke(k)} aria-label={`Revoke key ${k.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function RevokeKeyDialog({ apiKey, onConfirm, onCancel }: { readonly apiKey: ApiKey; readonly onConfirm: () => void; readonly onCancel: () => void }) {
  return (
    <ConfirmDialog title="Revoke this key?" confirmLabel="Revoke key" onConfirm={onConfirm} onCancel={onCancel}>
      <p>
        “<span class="name">{apiKey.name}</span>” ({apiKey.prefix}…) will be refused at once, by every replica. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
