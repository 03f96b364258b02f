// Usage: the last 30 UTC days as two charts (cost stacked by model; tokens by kind) and a table by day, model and key, with the API's CSV.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, describe, isNotAllowed } from "../api";
import { DayChart, type DaySeries } from "../components/day-chart";
import { ErrorNote, Loading, NotAllowed } from "../components/notes";
import { UserPicker } from "../components/user-picker";
import { formatCount, formatUsd, formatUsdApprox } from "../format";
import { listKeys, type ApiKey } from "../models/keys";
import type { Session } from "../models/session";
import { getUsage, getUsageCsv, rangeStart, type UsageReport, type Whose } from "../models/usage";
import { navigate } from "../router";

interface Props {
  readonly session: Session;
  /** ?user_id=: "" the caller, "all" everyone (admins), else a user id (admins). */
  readonly pick: string;
}

const MODEL_COLORS = ["#0b6bcb", "#d97706", "#15803d", "#b42381", "#0e7490", "#b91c1c", "#6d28d9", "#4d5562"];
const DAY = 86_400;

type Load =
  | { readonly kind: "loading" }
  | { readonly kind: "ready"; readonly report: UsageReport; readonly keys: ReadonlyMap<string, ApiKey> }
  | { readonly kind: "failed"; readonly message: string; readonly notAllowed: boolean };

function whoseOf(pick: string, session: Session): Whose {
  if (pick === "all") return { kind: "everyone" };
  if (pick !== "") return { kind: "user", userId: pick };
  // An admin's own view names them: unnamed, an admin's query covers everyone.
  return session.user.role === "admin" ? { kind: "user", userId: session.user.id } : { kind: "self" };
}

export function UsagePage({ session, pick }: Props) {
  const whose = whoseOf(pick, session);
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [csvError, setCsvError] = useState<string>();
  const [start] = useState(rangeStart);
  // Bumped by "Refresh": the same range asked again.
  const [round, setRound] = useState(0);

  useEffect(() => {
    setLoad({ kind: "loading" });
    const keyOwner = whose.kind === "user" ? whose.userId : whose.kind === "self" ? session.user.id : undefined;
    Promise.all([getUsage(whose, start), listKeys(keyOwner)]).then(
      ([report, keys]) => setLoad({ kind: "ready", report, keys: new Map(keys.map((k) => [k.id, k])) }),
      (e: unknown) =>
        // A member naming someone else is refused by the API (403, or 400 on user_id for the usage report).
        setLoad({ kind: "failed", message: describe(e), notAllowed: isNotAllowed(e) || (e instanceof ApiError && e.param === "user_id" && session.user.role !== "admin") }),
    );
  }, [pick, round]);

  if (load.kind === "failed" && load.notAllowed) return <NotAllowed detail={`You may see only your own usage. (${load.message})`} />;

  const download = (): void => {
    setCsvError(undefined);
    getUsageCsv(whose, start).then(
      (csv) => {
        const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = `aik-usage-${start.toISOString().slice(0, 10)}.csv`;
        a.click();
        // The browser has the file once the click is handled.
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
      (e: unknown) => setCsvError(describe(e)),
    );
  };

  return (
    <>
      <h1>Usage</h1>
      <p class="lede">Tokens and cost of the last 30 days (UTC), as metered; new requests show up within seconds.</p>
      <div class="toolbar">
        {session.user.role === "admin" && (
          <UserPicker id="usage-whose" value={pick} selfEmail={session.user.email} onChange={(v) => navigate(v === "" ? "usage" : `usage?user_id=${encodeURIComponent(v)}`)} />
        )}
        <button type="button" onClick={() => setRound(round + 1)}>
          Refresh
        </button>
        <button type="button" onClick={download} disabled={load.kind !== "ready"}>
          Download CSV
        </button>
      </div>
      <ErrorNote message={csvError} />
      {load.kind === "loading" && <Loading />}
      {load.kind === "failed" && <ErrorNote message={load.message} />}
      {load.kind === "ready" && <Report report={load.report} keys={load.keys} />}
    </>
  );
}

function Report({ report, keys }: { readonly report: UsageReport; readonly keys: ReadonlyMap<string, ApiKey> }) {
  const charts = useMemo(() => chartData(report), [report]);
  const keyLabel = (id: string): string => {
    const k = keys.get(id);
    return k ? `${k.name} (${k.prefix}…)` : id;
  };
  // Newest day first; within a day, as the API orders them (model, then key).
  const rows = [...report.rows].sort((a, b) => (a.day === b.day ? 0 : a.day < b.day ? 1 : -1));
  return (
    <>
      <div class="charts">
        <DayChart
          id="cost-chart"
          title="Cost per day, by model"
          summary={`${formatUsd(report.total.costUsd)} in ${formatCount(report.total.requests)} ${report.total.requests === 1 ? "request" : "requests"} over ${report.days} days${charts.models.length > 0 ? `, on ${charts.models.map((s) => s.label).join(", ")}` : ""}.`}
          days={charts.days}
          series={charts.models}
          kind="stacked-bars"
          format={formatUsdApprox}
        />
        <DayChart
          id="token-chart"
          title="Tokens per day"
          summary={`${formatCount(report.total.promptTokens)} prompt (${formatCount(report.total.cachedTokens)} cached), ${formatCount(report.total.completionTokens)} completion (${formatCount(report.total.reasoningTokens)} reasoning) tokens.`}
          days={charts.days}
          series={charts.tokens}
          kind="lines"
          format={formatCount}
        />
      </div>
      <h2 id="usage-table-title">By day, model and key</h2>
      {report.rows.length === 0 ? (
        <p class="empty">No requests in these 30 days.</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="usage-table-title" tabIndex={0}>
          <table class="usage">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Model</th>
                <th scope="col">Key</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num">Prompt</th>
                <th scope="col" class="num">Cached</th>
                <th scope="col" class="num">Completion</th>
                <th scope="col" class="num">Reasoning</th>
                <th scope="col" class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.day}|${r.model}|${r.keyId}`}>
                  <td>{r.day}</td>
                  <td>{r.model}</td>
                  <td class="name">{keyLabel(r.keyId)}</td>
                  <td class="num">{formatCount(r.requests)}</td>
                  <td class="num">{formatCount(r.promptTokens)}</td>
                  <td class="num">{formatCount(r.cachedTokens)}</td>
                  <td class="num">{formatCount(r.completionTokens)}</td>
                  <td class="num">{formatCount(r.reasoningTokens)}</td>
                  <td class="num">{formatUsd(r.costUsd)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>
                  Total
                </th>
                <td class="num">{formatCount(report.total.requests)}</td>
                <td class="num">{formatCount(report.total.promptTokens)}</td>
                <td class="num">{formatCount(report.total.cachedTokens)}</td>
                <td class="num">{formatCount(report.total.completionTokens)}</td>
                <td class="num">{formatCount(report.total.reasoningTokens)}</td>
                <td class="num">{formatUsd(report.total.costUsd)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </>
  );
}

/** One point per day of the range, zero where nothing was used; models ordered by their cost, the largest at the bottom of the stack. */
function chartData(report: UsageReport): { days: number[]; models: DaySeries[]; tokens: DaySeries[] } {
  const first = Date.parse(`${report.firstDay}T00:00:00Z`) / 1000;
  const days = Array.from({ length: report.days }, (_, i) => first + i * DAY);
  const dayIndex = (day: string): number => Math.round((Date.parse(`${day}T00:00:00Z`) / 1000 - first) / DAY);
  const zeros = (): number[] => days.map(() => 0);
  const cost = new Map<string, number[]>();
  const tokens = { prompt: zeros(), cached: zeros(), completion: zeros(), reasoning: zeros() };
  for (const r of report.rows) {
    const i = dayIndex(r.day);
    if (i < 0 || i >= days.length) continue;
    const perModel = cost.get(r.model) ?? zeros();
    perModel[i] = (perModel[i] ?? 0) + Number(r.costUsd);
    cost.set(r.model, perModel);
    tokens.prompt[i] = (tokens.prompt[i] ?? 0) + r.promptTokens;
    tokens.cached[i] = (tokens.cached[i] ?? 0) + r.cachedTokens;
    tokens.completion[i] = (tokens.completion[i] ?? 0) + r.completionTokens;
    tokens.reasoning[i] = (tokens.reasoning[i] ?? 0) + r.reasoningTokens;
  }
  const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);
  const models = [...cost.entries()]
    .sort((a, b) => sum(b[1]) - sum(a[1]) || (a[0] < b[0] ? -1 : 1))
    .map(([label, values], i): DaySeries => ({ label, values, color: MODEL_COLORS[i % MODEL_COLORS.length] ?? "#4d5562" }));
  return {
    days,
    models,
    tokens: [
      { label: "Prompt", color: "#0b6bcb", values: tokens.prompt },
      { label: "Cached", color: "#0e7490", values: tokens.cached },
      { label: "Completion", color: "#d97706", values: tokens.completion },
      { label: "Reasoning", color: "#b42381", values: tokens.reasoning },
    ],
  };
}
