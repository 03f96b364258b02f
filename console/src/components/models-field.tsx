// The allowed-models field of the two key forms (a member's own key, a team key): names separated by commas, read by modelList.

export function AllowedModelsField({ id, value, onChange }: { readonly id: string; readonly value: string; readonly onChange: (text: string) => void }) {
  return (
    <div class="field">
      <label for={id}>Allowed models</label>
      <input id={id} name="models" autoComplete="off" aria-describedby={`${id}-hint`} placeholder="all models" value={value} onInput={(e) => onChange(e.currentTarget.value)} />
      <small id={`${id}-hint`}>Model names separated by commas, e.g. gpt-4o, gpt-4o-mini. Empty allows every model.</small>
    </div>
  );
}
