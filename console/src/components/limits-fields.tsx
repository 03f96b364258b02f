// The four limit fields every form shares (create key, create user, change limits); empty means inherited.
import { describe } from "../api";
import type { Limits } from "../models/limits";

export interface LimitsText {
  readonly rpm: string;
  readonly tpm: string;
  readonly concurrent: string;
  readonly budget: string;
}

export const NO_LIMITS: LimitsText = { rpm: "", tpm: "", concurrent: "", budget: "" };

export function limitsText(l: Limits): LimitsText {
  return {
    rpm: l.requestsPerMinute?.toString() ?? "",
    tpm: l.tokensPerMinute?.toString() ?? "",
    concurrent: l.maxConcurrentRequests?.toString() ?? "",
    budget: l.monthlyBudgetUsd ?? "",
  };
}

function whole(text: string, what: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  if (!/^\d{1,10}$/.test(t)) throw new Error(`${what} must be a whole number (or empty to inherit).`);
  return Number(t);
}

/** The typed limits, or an Error whose message says which field is wrong; ranges are the API's to judge. */
export function parseLimits(t: LimitsText): Limits {
  const rpm = whole(t.rpm, "Requests per minute");
  const tpm = whole(t.tpm, "Tokens per minute");
  const concurrent = whole(t.concurrent, "Requests at once");
  const budget = t.budget.trim().replace(/^\$/, "");
  if (budget !== "" && !/^\d{1,12}(\.\d{1,6})?$/.test(budget)) throw new Error("Monthly budget must be an amount in USD such as 25 or 12.50 (or empty to inherit).");
  return {
    ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}),
    ...(tpm !== undefined ? { tokensPerMinute: tpm } : {}),
    ...(concurrent !== undefined ? { maxConcurrentRequests: concurrent } : {}),
    ...(budget !== "" ? { monthlyBudgetUsd: budget } : {}),
  };
}

/** parseLimits for a form's submit: the limits, or undefined once `report` has the wrong field's message. */
export function limitsOrReport(t: LimitsText, report: (message: string) => void): Limits | undefined {
  try {
    return parseLimits(t);
  } catch (err) {
    report(describe(err));
    return undefined;
  }
}

interface Props {
  /** Makes the ids unique when several forms are on one page. */
  readonly idPrefix: string;
  readonly legend: string;
  readonly value: LimitsText;
  readonly onChange: (next: LimitsText) => void;
}

export function LimitsFields({ idPrefix, legend, value, onChange }: Props) {
  const field = (key: keyof LimitsText, label: string, hint: string, inputMode: "numeric" | "decimal") => (
    <div class="field">
      <label for={`${idPrefix}-${key}`}>{label}</label>
      <input
        id={`${idPrefix}-${key}`}
        name={key}
        inputMode={inputMode}
        autoComplete="off"
        placeholder={hint}
        value={value[key]}
        onInput={(e) => onChange({ ...value, [key]: e.currentTarget.value })}
      />
    </div>
  );
  return (
    <fieldset class="limits">
      <legend>{legend}</legend>
      {field("rpm", "Requests per minute", "inherited", "numeric")}
      {field("tpm", "Tokens per minute", "inherited", "numeric")}
      {field("concurrent", "Requests at once", "inherited", "numeric")}
      {field("budget", "Monthly budget (USD)", "inherited", "decimal")}
    </fieldset>
  );
}
