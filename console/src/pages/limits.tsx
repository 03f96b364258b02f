// Limits: the caller's (or a picked user's) limits and each live key's, with what is used right now and the month's spend as a bar.
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, isNotAllowed } from "../api";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { formatCount, formatUsd } from "../format";
import { describeLimits, type Limits } from "../models/limits";
import { getLimitStatus, type LimitStatus, type LimitUsage } from "../models/limit-status";
import type { Session } from "../models/session";

interface Props {
  readonly session: Session;
  /** ?user_id= (admins); the caller when absent. */
  readonly userId: string | undefined;
}

type Load = { readonly kind: "loading" } | { readonly kind: "ready"; readonly status: LimitStatus } | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

export function LimitsPage({ session, userId }: Props) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const refresh = useCallback(
    () =>
      getLimitStatus(userId ?? "me").then(
        (status) => setLoad({ kind: "ready", status }),
        (e: unknown) => setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) }),
      ),
    [userId],
  );
  useEffect(() => void refresh(), [refresh]);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`You may see only your own limits. (${load.message})`} />;
  return (
    <>
      <h1>Limits</h1>
      <p class="lede">
        {userId === undefined || userId === session.user.id ? "Your limits" : "This user's limits"} and each live key's, with what is in use right now. A key's requests count against its user
        too, so the stricter limit wins.
      </p>
      <div class="toolbar">
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && (
        <>
          <LimitCard id="limits-user" title={userId === undefined ? "You (all your keys together)" : "The user (all keys together)"} month={load.status.month} limits={load.status.limits} used={load.status.used} inherits="no limits" />
          <h2>Keys</h2>
          {load.status.keys.length === 0 && <p class="empty">No live keys.</p>}
          <div class="cards">
            {load.status.keys.map((k) => (
              <LimitCard
                key={k.keyId}
                id={`limits-key-${k.keyId}`}
                title={`${k.name} (${k.prefix}…)`}
                month={load.status.month}
                limits={k.limits}
                used={k.used}
                inherits="inherits the user's limits"
              />
            ))}
          </div>
        </>
      )}
    </>
  );
}

interface CardProps {
  readonly id: string;
  readonly title: string;
  readonly month: string;
  readonly limits: Limits;
  readonly used: LimitUsage;
  readonly inherits: string;
}

function LimitCard({ id, title, month, limits, used, inherits }: CardProps) {
  const budget = limits.monthlyBudgetUsd;
  const spent = Number(used.monthlySpentUsd);
  return (
    <section class="card limit-card" id={id} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} class="name">
        {title}
      </h3>
      <p class="limits-summary">{describeLimits(limits, inherits)}</p>
      <dl class="usage-now">
        <Gauge label="Requests this minute" used={used.requestsPerMinute} limit={limits.requestsPerMinute} />
        <Gauge label="Tokens this minute" used={used.tokensPerMinute} limit={limits.tokensPerMinute} />
        <Gauge label="Requests at once (streams included)" used={used.concurrentRequests} limit={limits.maxConcurrentRequests} />
        <div class="gauge">
          <dt>Spent in {month || "this month"}</dt>
          <dd>
            {budget === undefined ? (
              // Without a budget the counter is fed from metering only now and then, so it may trail the usage page.
              <span>{formatUsd(used.monthlySpentUsd)} (no budget; this figure follows metering with a delay)</span>
            ) : (
              <>
                <span>
                  {formatUsd(used.monthlySpentUsd)} of {formatUsd(budget)}
                </span>
                <meter min={0} max={Number(budget) || 1} low={Number(budget) * 0.8} high={Number(budget) * 0.95} optimum={0} value={Math.min(spent, Number(budget))} aria-label={`Budget spent in ${month}`}>
                  {formatUsd(used.monthlySpentUsd)} of {formatUsd(budget)}
                </meter>
              </>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function Gauge({ label, used, limit }: { readonly label: string; readonly used: number | undefined; readonly limit: number | undefined }) {
  return (
    <div class="gauge">
      <dt>{label}</dt>
      <dd>
        {limit === undefined ? (
          <span>{used === undefined ? "no limit" : `${formatCount(used)} (no limit)`}</span>
        ) : (
          <>
            <span>
              {formatCount(used ?? 0)} of {formatCount(limit)}
            </span>
            <meter min={0} max={limit} low={limit * 0.8} high={limit * 0.95} optimum={0} value={Math.min(used ?? 0, limit)} aria-label={label} />
          </>
        )}
      </dd>
    </div>
  );
}
