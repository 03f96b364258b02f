// A modal dialog on the browser's own <dialog>: focus moves in and is trapped, Escape closes, focus returns to where it was.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  readonly labelledBy: string;
  /** Called once the dialog closed, with the value of the button that closed it ("" for Escape); the parent then stops rendering it. */
  readonly onClose: (returnValue: string) => void;
  readonly children: ComponentChildren;
}

export function Modal({ labelledBy, onClose, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const before = document.activeElement;
    dialog?.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class="modal" aria-labelledby={labelledBy} onClose={() => onClose(ref.current?.returnValue ?? "")}>
      {children}
    </dialog>
  );
}
