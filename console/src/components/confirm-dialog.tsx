// Asks before an action that cannot be undone; Cancel has the focus, so Enter alone changes nothing.
import type { ComponentChildren } from "preact";
import { Modal } from "./modal";

interface Props {
  readonly title: string;
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly children: ComponentChildren;
}

export function ConfirmDialog({ title, confirmLabel, onConfirm, onCancel, children }: Props) {
  // One close path: the parent learns the answer from the button that closed the dialog (Escape is a cancel).
  return (
    <Modal labelledBy="confirm-title" onClose={(value) => (value === "confirm" ? onConfirm() : onCancel())}>
      <h2 id="confirm-title">{title}</h2>
      {children}
      <form method="dialog" class="actions">
        <button type="submit" value="cancel" autofocus>
          Cancel
        </button>
        <button type="submit" value="confirm" class="danger">
          {confirmLabel}
        </button>
      </form>
    </Modal>
  );
}
