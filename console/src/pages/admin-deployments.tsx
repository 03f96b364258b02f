// Admin: the deployments and their live state on the replica that answered, refreshed every few seconds while the page is open.
import { useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { formatTime } from "../format";
import { listDeployments, type Deployment } from "../models/deployments";

const REFRESH_MS = 5000;

type Load =
  | { readonly kind: "loading" }
  | { readonly kind: "ready"; readonly deployments: readonly Deployment[]; readonly at: Date }
  | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

export function AdminDeploymentsPage() {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  useEffect(() => {
    let timer = 0;
    let stopped = false;
    const tick = (): void => {
      listDeployments().then(
        (deployments) => {
          if (stopped) return;
          setLoad({ kind: "ready", deployments, at: new Date() });
          timer = window.setTimeout(tick, REFRESH_MS);
        },
        (e: unknown) => {
          if (!stopped) setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) });
        },
      );
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`Only admins see the deployments. (${load.message})`} />;
  return (
    <>
      <h1>Deployments</h1>
      <p class="lede">Each deployment's settings and live state as the replica serving this page sees them (health is learnt per replica).</p>
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && (
        <>
          <p class="muted" aria-live="off">
            As of {formatTime(load.at.toISOString())}; refreshed every {REFRESH_MS / 1000} s.
          </p>
          <div class="table-wrap" role="region" aria-label="Deployments" tabIndex={0}>
            <table class="deployments">
              <thead>
                <tr>
                  <th scope="col">Deployment</th>
                  <th scope="col">Model</th>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num">Priority</th>
                  <th scope="col" class="num">Weight</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">In flight</th>
                  <th scope="col" class="num">Latency</th>
                  <th scope="col" class="num">Errors</th>
                </tr>
              </thead>
              <tbody>
                {load.deployments.map((d) => (
                  <tr key={d.id}>
                    <td class="name">{d.id}</td>
                    <td>{d.model}</td>
                    <td>{d.kind}</td>
                    <td class="num">{d.priority}</td>
                    <td class="num">{d.weight}</td>
                    <td>
                      <span class={`state state-${d.state === "healthy" ? "active" : d.state === "open" ? "revoked" : "expired"}`}>{d.state.replace("_", "-")}</span>
                      {d.until !== undefined && <small> until {formatTime(d.until)}</small>}
                    </td>
                    <td class="num">{d.inFlight}</td>
                    <td class="num">{d.latencyMs === undefined ? "–" : `${Math.round(d.latencyMs)} ms`}</td>
                    <td class="num">{`${Math.round(d.errorRate * 100)}%`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
