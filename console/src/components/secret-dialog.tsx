// The one time a key's secret is shown: a copy button, the plain warning, and nothing kept once the dialog closes.
import { useState } from "preact/hooks";
import { Modal } from "./modal";

interface Props {
  readonly name: string;
  readonly secret: string;
  /** The parent drops the secret from its state here, so it leaves the page and memory with the dialog. */
  readonly onClose: () => void;
}

export function SecretDialog({ name, secret, onClose }: Props) {
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  const copySecret = (): void => {
    navigator.clipboard.writeText(secret).then(
      () => setCopy("copied"),
      () => setCopy("failed"),
    );
  };
  return (
    <Modal labelledBy="secret-title" onClose={onClose}>
      <h2 id="secret-title">Your new key “{name}”</h2>
      <p class="warning" role="alert">
        Copy this key now. It cannot be shown again: AI-K keeps only a hash of it, so nobody can recover it later, not even an admin.
      </p>
      <code id="new-key-secret" class="secret">
        {secret}
      </code>
      <p class="copy-status" aria-live="polite">
        {copy === "copied" ? "Copied to the clipboard." : copy === "failed" ? "The browser refused to copy: select the key above and copy it by hand." : ""}
      </p>
      <form method="dialog" class="actions">
        <button type="button" class="primary" onClick={copySecret}>
          Copy key
        </button>
        <button type="submit">I have copied it — close</button>
      </form>
    </Modal>
  );
}
