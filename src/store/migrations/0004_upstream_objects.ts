// Upstream objects callers own (ids only) and the usage of background responses still to be recorded.
import type { Migration } from "../migrate.js";

/*
 * owned_objects: every object AI-K saw a caller create at Azure (a stored response and the items
 * in it), as id, owner and expiry, plus the gateway deployment whose Azure resource holds it (a
 * later call on it must go there) and, for an item, the response it belongs to (deleting the
 * response ends its items too). Never any content. Rows go when the object is deleted through
 * AI-K or expires at Azure (30 days for responses); see src/objects/.
 *
 * pending_usage: a background response answered before it finished is metered when AI-K first
 * sees it finished (a poll, a resumed stream, a cancel, or the sweeper's own poll). The row holds
 * the usage record's metadata until then; claiming it (delete ... returning) is atomic, so one
 * replica records it, once. The reservation estimate is kept for the rare record that must be
 * written without Azure's count. See src/metering/deferred-usage.ts.
 */
export const upstreamObjects: Migration = {
  version: 4,
  name: "upstream_objects",
  sql: `
create table owned_objects (
  id            text        primary key,
  kind          text        not null check (kind in ('response', 'item')),
  parent_id     text,
  user_id       text        not null,
  key_id        text        not null,
  deployment_id text        not null,
  created_at    timestamptz not null default now(),
  expires_at    timestamptz not null
);
create index owned_objects_expiry on owned_objects (expires_at);
create index owned_objects_parent on owned_objects (parent_id) where parent_id is not null;

create table pending_usage (
  object_id           text        primary key,
  request_id          text        not null,
  occurred_at         timestamptz not null,
  user_id             text        not null,
  key_id              text        not null,
  model               text        not null,
  deployment_id       text        not null,
  region              text,
  protocol            text        not null check (protocol in ('grpc', 'http')),
  streamed            boolean     not null,
  estimated_prompt    integer     not null,
  estimated_output    integer     not null,
  check_after         timestamptz not null,
  attempts            integer     not null default 0
);
create index pending_usage_due on pending_usage (check_after);
`,
};
