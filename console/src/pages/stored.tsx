// What we store: one of the caller's usage rows as the database holds it, every column, beside the list of what is never stored.
import { useEffect, useState } from "preact/hooks";
import { ApiError, describe } from "../api";
import { ErrorNote, Loading } from "../components/notes";
import { getStoredExample, type StoredExample } from "../models/stored";

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly example: StoredExample } | { readonly kind: "none" } | { readonly kind: "failed"; readonly message: string };

export function StoredPage() {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  useEffect(() => {
    getStoredExample().then(
      (example) => setLoad({ kind: "ready", example }),
      (e: unknown) => setLoad(e instanceof ApiError && e.status === 404 ? { kind: "none" } : { kind: "failed", message: describe(e) }),
    );
  }, []);
  return (
    <>
      <h1>What we store</h1>
      <p class="lede">
        For every request, AI-K keeps one usage row: counts, money, ids and timings. Here is your most recent one exactly as the database holds it, so you can check the promise by eye.
      </p>
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      <div class="stored">
        <section aria-labelledby="stored-row-title" class="stored-row">
          <h2 id="stored-row-title">{load.kind === "ready" ? `Your latest row in ${load.example.table}` : "Your latest usage row"}</h2>
          {load.kind === "none" && <p class="empty">No request of yours is recorded yet: make one with one of your keys, then come back.</p>}
          {load.kind === "ready" && (
            <div class="table-wrap" role="region" aria-labelledby="stored-row-title" tabIndex={0}>
              <table class="columns">
                <thead>
                  <tr>
                    <th scope="col">Column</th>
                    <th scope="col">Value as stored</th>
                  </tr>
                </thead>
                <tbody>
                  {load.example.columns.map((c) => (
                    <tr key={c.name}>
                      <th scope="row">
                        <code>{c.name}</code>
                      </th>
                      <td>{c.value === undefined ? <span class="null">NULL</span> : <code>{c.value}</code>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        {load.kind === "ready" && (
          <section aria-labelledby="never-title" class="never">
            <h2 id="never-title">Never stored, anywhere</h2>
            <p>Not in the database, Redis, a log, a span, a metric or an error message:</p>
            <ul>
              {load.example.neverStored.map((n) => (
                <li key={n.what}>
                  <strong>{n.what}</strong>
                  {n.detail !== "" && <>: {n.detail}</>}
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </>
  );
}
