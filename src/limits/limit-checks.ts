// Input checks shared by every limiter: a bad request is a caller bug, refused with a message naming the field.
import type { AdmitRequest, Settlement, SubjectRef, Ticket } from "./limiter.js";
import { MAX_PER_MINUTE } from "./limit-rules.js";

/** The caller passed something no limiter can act on; never a sign that Redis is down. */
export class LimitInputError extends RangeError {
  override readonly name = "LimitInputError";
}

function count(value: unknown, field: string, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new LimitInputError(`${field} must be an integer from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

function optionalCount(value: unknown, field: string, max?: number): number | undefined {
  return value === undefined ? undefined : count(value, field, max);
}

function name(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw new LimitInputError(`${field} must be a non-empty string`);
  return value;
}

/**
 * Braces would move the Redis Cluster hash tag (an empty "{}" even disables it), scattering
 * one admission's keys over several slots; user ids never need them.
 */
function partition(value: unknown): string {
  const p = name(value, "partition");
  if (p.includes("{") || p.includes("}")) throw new LimitInputError("partition must not contain braces");
  return p;
}

/** Clock override for tests: integer epoch ms. */
export function checkNow(now: unknown): number | undefined {
  return now === undefined ? undefined : count(now, "now");
}

export function checkAdmitRequest(req: AdmitRequest): void {
  name(req.requestId, "requestId");
  partition(req.partition);
  if (!Array.isArray(req.subjects) || req.subjects.length < 1 || req.subjects.length > 3) {
    throw new LimitInputError("subjects must hold one to three subjects (user, key, team)");
  }
  for (const [i, s] of req.subjects.entries()) {
    if (!isKind(s.kind)) throw new LimitInputError(`subjects[${i}].kind must be "user", "key" or "team"`);
    name(s.id, `subjects[${i}].id`);
    optionalCount(s.limits.requestsPerMinute, `subjects[${i}].limits.requestsPerMinute`, MAX_PER_MINUTE);
    optionalCount(s.limits.tokensPerMinute, `subjects[${i}].limits.tokensPerMinute`, MAX_PER_MINUTE);
    optionalCount(s.limits.maxConcurrent, `subjects[${i}].limits.maxConcurrent`);
    optionalCount(s.limits.monthlyBudgetMicroUsd, `subjects[${i}].limits.monthlyBudgetMicroUsd`);
  }
  const names = new Set(req.subjects.map((s) => `${s.kind}\u0000${s.id}`));
  if (names.size !== req.subjects.length) throw new LimitInputError("subjects must be distinct");
  count(req.tokens, "tokens", MAX_PER_MINUTE);
  count(req.costMicroUsd, "costMicroUsd");
  checkNow(req.now);
}

export function checkSettlement(actual: Settlement): void {
  count(actual.tokens, "actual.tokens", MAX_PER_MINUTE);
  count(actual.costMicroUsd, "actual.costMicroUsd");
}

export function checkTicket(ticket: Ticket, backend: Ticket["backend"]): void {
  if (ticket.backend !== backend) throw new LimitInputError(`ticket was admitted by the ${String(ticket.backend)} limiter, not the ${backend} one`);
  name(ticket.requestId, "ticket.requestId");
  partition(ticket.partition);
}

export function checkSubjectRef(subject: SubjectRef): void {
  if (!isKind(subject.kind)) throw new LimitInputError('subject.kind must be "user", "key" or "team"');
  name(subject.id, "subject.id");
  partition(subject.partition);
}

function isKind(kind: unknown): boolean {
  return kind === "user" || kind === "key" || kind === "team";
}

export function checkPerMinute(limit: unknown): number {
  return count(limit, "limitPerMinute", MAX_PER_MINUTE);
}
