// Shared fixtures for the limiter suites: fresh subjects per test and a pinned clock in mid-November 2026.
import type { AdmitRequest, Limits, Subject, SubjectRef } from "../../src/limits/limiter.js";

/** 2026-11-15T12:00:00Z: far from a month boundary, so budget retries have a known size. */
export const T0 = Date.UTC(2026, 10, 15, 12, 0, 0);
export const DECEMBER = Date.UTC(2026, 11, 1);

let seq = 0;

export interface Fixture {
  readonly subjects: readonly Subject[];
  readonly user: SubjectRef;
  readonly key: SubjectRef;
  /** A new request id each call; pinned to T0 unless `now` is overridden (pass now: undefined for the real clock). */
  request(over?: Partial<AdmitRequest>): AdmitRequest;
}

/** A user (and optionally one of its keys) no other test shares. */
export function fixture(user: Limits, key?: Limits): Fixture {
  const n = ++seq;
  const partition = `user-${n}-${Math.random().toString(36).slice(2, 8)}`;
  const subjects: Subject[] = [{ kind: "user", id: partition, limits: user }];
  if (key) subjects.push({ kind: "key", id: `key-${n}`, limits: key });
  let requests = 0;
  return {
    subjects,
    user: { kind: "user", id: partition, partition },
    key: { kind: "key", id: `key-${n}`, partition },
    request: (over = {}) => ({ requestId: `${partition}-req-${++requests}`, partition, subjects, tokens: 0, costMicroUsd: 0, now: T0, ...over }),
  };
}
