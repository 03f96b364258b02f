// A team's usage this UTC month, by key, with the month's spend against the team budget (for admins and the team's owners).
import { useEffect, useState } from "preact/hooks";
import { describe } from "../api";
import { ErrorNote, Loading } from "../components/notes";
import { formatCount, formatUsd } from "../format";
import type { ApiKey } from "../models/keys";
import { getTeamMonthUsage, type TeamMonthUsage } from "../models/teams";
import type { TeamContext } from "./teams-view";

interface Props {
  readonly ctx: TeamContext;
  /** The team's keys, to name the rows. */
  readonly keys: readonly ApiKey[];
  /** Changes whenever the page reloaded the team: the usage is asked again. */
  readonly round: number;
}

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly usage: TeamMonthUsage } | { readonly kind: "failed"; readonly message: string };

export function TeamUsage({ ctx, keys, round }: Props) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [again, setAgain] = useState(0);
  useEffect(() => {
    getTeamMonthUsage(ctx.team.id).then(
      (usage) => setLoad({ kind: "ready", usage }),
      (e: unknown) => setLoad({ kind: "failed", message: describe(e) }),
    );
  }, [ctx.team.id, round, again]);

  const byId = new Map(keys.map((k) => [k.id, k]));
  const keyLabel = (id: string): string => {
    const k = byId.get(id);
    return k ? `${k.name} (${k.prefix}…)` : id;
  };
  const budget = ctx.team.limits.monthlyBudgetUsd;

  return (
    <section aria-labelledby="team-usage-title">
      <h2 id="team-usage-title">Usage this month</h2>
      <div class="toolbar">
        <button type="button" onClick={() => setAgain(again + 1)}>
          Refresh usage
        </button>
      </div>
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && (
        <>
          <dl class="usage-now" id="team-budget">
            <div class="gauge">
              <dt>Spent in {load.usage.month} (UTC), as metered</dt>
              <dd>
                {budget === undefined ? (
                  <span>{formatUsd(load.usage.total.costUsd)} (no team budget)</span>
                ) : (
                  <>
                    <span>
                      {formatUsd(load.usage.total.costUsd)} of {formatUsd(budget)}
                    </span>
                    <meter
                      min={0}
                      max={Number(budget) || 1}
                      low={Number(budget) * 0.8}
                      high={Number(budget) * 0.95}
                      optimum={0}
                      value={Math.min(Number(load.usage.total.costUsd), Number(budget))}
                      aria-label={`Team budget spent in ${load.usage.month}`}
                    >
                      {formatUsd(load.usage.total.costUsd)} of {formatUsd(budget)}
                    </meter>
                  </>
                )}
              </dd>
            </div>
          </dl>
          {load.usage.byKey.length === 0 ? (
            <p class="empty">No requests with this team's keys this month.</p>
          ) : (
            <div class="table-wrap" role="region" aria-labelledby="team-usage-title" tabIndex={0}>
              <table class="team-usage">
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col" class="num">Requests</th>
                    <th scope="col" class="num">Prompt</th>
                    <th scope="col" class="num">Completion</th>
                    <th scope="col" class="num">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {load.usage.byKey.map((r) => (
                    <tr key={r.keyId} data-key-id={r.keyId}>
                      <td class="name">{keyLabel(r.keyId)}</td>
                      <td class="num">{formatCount(r.requests)}</td>
                      <td class="num">{formatCount(r.promptTokens)}</td>
                      <td class="num">{formatCount(r.completionTokens)}</td>
                      <td class="num">{formatUsd(r.costUsd)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td class="num">{formatCount(load.usage.total.requests)}</td>
                    <td class="num">{formatCount(load.usage.total.promptTokens)}</td>
                    <td class="num">{formatCount(load.usage.total.completionTokens)}</td>
                    <td class="num">{formatUsd(load.usage.total.costUsd)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
