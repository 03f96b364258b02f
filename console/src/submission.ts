// A form's submission: busy while its one request runs, and a failure described for the form's error note.
import { useState } from "preact/hooks";
import { describe } from "./api";

export interface Submission {
  readonly busy: boolean;
  readonly error: string | undefined;
  /** Set by the form itself for what it refuses before sending (a bad limit, a missing field); undefined clears it. */
  readonly setError: (message: string | undefined) => void;
  /** Sends `request`; `done` runs with its answer once it succeeds, a failure shows in `error`. */
  run<T>(request: Promise<T>, done: (answer: T) => void): void;
}

export function useSubmission(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return {
    busy,
    error,
    setError,
    run(request, done) {
      setBusy(true);
      request.then(
        (answer) => {
          setBusy(false);
          done(answer);
        },
        (err: unknown) => {
          setBusy(false);
          setError(describe(err));
        },
      );
    },
  };
}
