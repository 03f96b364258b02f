// How pages say things went wrong or are not allowed: sentences in a live region, never an API's raw answer.
import type { ComponentChildren } from "preact";

export function ErrorNote({ message }: { readonly message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function NotAllowed({ detail }: { readonly detail?: string }) {
  return (
    <section class="not-allowed" aria-labelledby="not-allowed-title">
      <h1 id="not-allowed-title">Not allowed</h1>
      <p>{detail ?? "Your account may not open this page."}</p>
    </section>
  );
}

export function Loading({ children }: { readonly children?: ComponentChildren }) {
  return (
    <p class="loading" aria-live="polite">
      {children ?? "Loading…"}
    </p>
  );
}
