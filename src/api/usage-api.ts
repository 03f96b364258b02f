// GetUsage: filters and groupings over the metered usage; a member sees only their own, a team owner their team's.
import type { GetUsageRequest, GetUsageResponse, UsageRow, UsageSums as ProtoSums } from "../../gen/aik/v1/admin.js";
import type { AdminCaller } from "../auth/admin-caller.js";
import { invalidArgument } from "../core/errors.js";
import { isValidName } from "../core/names.js";
import { formatMicroUsd } from "../core/money.js";
import type { ReportDimension, UsageQuery, UsageReportRow, UsageSums } from "../metering/reports.js";
import { checkId } from "./identity-checks.js";

const DIMENSIONS: readonly ReportDimension[] = ["day", "model", "key", "user", "team", "deployment"];

/**
 * `ownedTeam`: the team_id the request names, once the caller is known to be an admin or that
 * team's owner (src/api/team-access.ts): an owner then reads the whole team, any member of it.
 */
export function usageQuery(req: GetUsageRequest, caller: AdminCaller, ownedTeam?: string): UsageQuery {
  const isAdmin = caller.kind === "operator" || caller.user.role === "admin";
  let userId = req.userId === "" ? undefined : checkId(req.userId, "user_id");
  if (req.teamId !== "" && req.teamId !== ownedTeam) throw new Error("usageQuery: team_id was not checked against the caller");
  if (!isAdmin && ownedTeam === undefined) {
    // A member's query is always about the member; naming someone else is refused, not widened.
    const self = caller.kind === "user" ? caller.user.id : "";
    if (userId !== undefined && userId !== self) throw invalidArgument("user_id", "Members may query only their own usage.");
    userId = self;
  }
  if (req.model !== "" && !isValidName(req.model)) throw invalidArgument("model", "Invalid 'model': not a model name.");
  if (req.deploymentId !== "" && !isValidName(req.deploymentId)) throw invalidArgument("deployment_id", "Invalid 'deployment_id'.");
  if (req.startTime && req.endTime && req.startTime.getTime() >= req.endTime.getTime()) {
    throw invalidArgument("end_time", "Invalid 'end_time': it must come after 'start_time'.");
  }
  return {
    ...(userId !== undefined ? { userId } : {}),
    ...(req.keyId !== "" ? { keyId: checkId(req.keyId, "key_id") } : {}),
    ...(ownedTeam !== undefined ? { teamId: ownedTeam } : {}),
    ...(req.model !== "" ? { model: req.model } : {}),
    ...(req.deploymentId !== "" ? { deploymentId: req.deploymentId } : {}),
    ...(req.startTime ? { start: req.startTime } : {}),
    ...(req.endTime ? { end: req.endTime } : {}),
    groupBy: groupBy(req.groupBy),
  };
}

function groupBy(text: string): ReportDimension[] {
  if (text.trim() === "") return [];
  const parts = text.split(",").map((p) => p.trim());
  const out: ReportDimension[] = [];
  for (const p of parts) {
    const d = DIMENSIONS.find((x) => x === p);
    if (!d) throw invalidArgument("group_by", `Invalid 'group_by': use ${DIMENSIONS.join(", ")}, or several joined by commas.`);
    if (!out.includes(d)) out.push(d);
  }
  return out;
}

function sums(s: UsageSums): ProtoSums {
  return {
    requests: s.requests,
    promptTokens: s.promptTokens,
    cachedTokens: s.cachedTokens,
    completionTokens: s.completionTokens,
    reasoningTokens: s.reasoningTokens,
    costUsd: formatMicroUsd(s.costMicroUsd),
  };
}

export function usageResponse(rows: readonly UsageReportRow[], total: UsageSums): GetUsageResponse {
  return {
    rows: rows.map(
      (r): UsageRow => ({
        day: r.day ?? "",
        model: r.model ?? "",
        keyId: r.keyId ?? "",
        userId: r.userId ?? "",
        deploymentId: r.deploymentId ?? "",
        teamId: r.teamId ?? "",
        ...sums(r),
      }),
    ),
    total: sums(total),
  };
}

/** team_id came after the others and is last, so scripts that read columns by position still work. */
const CSV_COLUMNS = ["day", "model", "key_id", "user_id", "deployment_id", "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_usd", "team_id"] as const;

/** RFC 4180 CSV of the rows, then a last "total" row. Values are ids, names, days and numbers: nothing to escape but commas and quotes. */
export function usageCsv(res: GetUsageResponse): string {
  const cell = (v: string | number | undefined): string => {
    const s = String(v ?? "");
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const line = (r: UsageRow): string =>
    [r.day, r.model, r.keyId, r.userId, r.deploymentId, r.requests, r.promptTokens, r.cachedTokens, r.completionTokens, r.reasoningTokens, r.costUsd, r.teamId].map(cell).join(",");
  const totalRow: UsageRow = { day: "total", model: "", keyId: "", userId: "", deploymentId: "", teamId: "", ...res.total };
  return [CSV_COLUMNS.join(","), ...res.rows.map(line), line(totalRow)].join("\r\n") + "\r\n";
}
