// Shared fixtures for the limiter suites: fresh subjects per test and a pinned clock in mid-November 2026.
import { teamTag, type AdmitRequest, type Limits, type Subject, type SubjectRef } from "../../src/limits/limiter.js";

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

export interface TeamFixture {
  readonly team: SubjectRef;
  /** A new user of the team with one team key: its admissions name user, key and team. */
  member(user: Limits, key: Limits): Fixture;
}

/**
 * A team no other test shares. `sharedSlot` (Redis Cluster, see limits-step's sharedTeamSlot): a
 * team key's whole admission lives under the team's tag; otherwise under the member's, the team's
 * own state under its own tag.
 */
export function teamFixture(limits: Limits, sharedSlot = false): TeamFixture {
  const id = `team-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const subject: Subject = { kind: "team", id, limits };
  return {
    team: { kind: "team", id, partition: teamTag(id) },
    member: (user, key) => {
      const f = fixture(user, key);
      const partition = sharedSlot ? teamTag(id) : f.user.partition;
      const subjects = [...f.subjects, subject];
      let requests = 0;
      return {
        subjects,
        user: { ...f.user, partition },
        key: { ...f.key, partition },
        request: (over = {}) => ({ requestId: `${f.user.id}-team-req-${++requests}`, partition, subjects, tokens: 0, costMicroUsd: 0, now: T0, ...over }),
      };
    },
  };
}
