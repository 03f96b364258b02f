// Single sign-on identities: which user an OpenID Connect provider's subject (issuer + sub) signs in as.
import type { Migration } from "../migrate.js";

/*
 * An identity is the pair (issuer, sub): OpenID Connect promises `sub` unique and never reassigned
 * within its issuer, unlike an email, which a provider may let its users change. Nothing of a
 * token is kept: the user row holds the email and display name the claims gave, this row only the
 * link and when it last signed in. Deleting the user deletes the link.
 */
export const oidcIdentities: Migration = {
  version: 10,
  name: "oidc_identities",
  sql: `
create table oidc_identities (
  issuer          text not null,
  subject         text not null,
  user_id         uuid not null references users (id) on delete cascade,
  created_at      timestamptz not null default now(),
  last_sign_in_at timestamptz not null default now(),
  primary key (issuer, subject)
);
create index oidc_identities_user on oidc_identities (user_id);
`,
};
