// For admins: whose usage a page shows (themselves, one user, or everyone), kept in the URL so a view can be shared.
import { useEffect, useState } from "preact/hooks";
import { describe } from "../api";
import { listUsers, type User } from "../models/users";

interface Props {
  readonly id: string;
  /** "" for the admin themselves, "all" for everyone, else a user id. */
  readonly value: string;
  readonly selfEmail: string;
  readonly onChange: (value: string) => void;
}

export function UserPicker({ id, value, selfEmail, onChange }: Props) {
  const [users, setUsers] = useState<readonly User[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    listUsers().then(setUsers, (e: unknown) => setError(describe(e)));
  }, []);
  return (
    <div class="field picker">
      <label for={id}>Whose usage</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">Mine ({selfEmail})</option>
        <option value="all">Everyone</option>
        {users
          .filter((u) => u.email !== selfEmail)
          .map((u) => (
            <option key={u.id} value={u.id}>
              {u.label}
            </option>
          ))}
      </select>
      {error !== undefined && <small class="error">The user list could not be loaded: {error}</small>}
    </div>
  );
}
