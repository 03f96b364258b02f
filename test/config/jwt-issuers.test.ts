// auth.jwt_issuers: the issuers whose JWTs service accounts call with; https keys only (loopback aside), every mistake named.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

const load = (yaml: string) => loadConfig({ AIK_CONFIG: "/etc/aik.yaml" }, () => yaml);

const ENTRA = `
auth:
  jwt_issuers:
    - issuer: https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0
      audience: api://aik
      jwks_uri: https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/discovery/v2.0/keys
`;

describe("auth.jwt_issuers", () => {
  it("reads issuer, audience and jwks_uri, with a 30 s refetch cooldown by default", () => {
    expect(load(ENTRA).auth.jwtIssuers).toEqual([
      {
        issuer: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        audiences: ["api://aik"],
        jwksUri: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/discovery/v2.0/keys",
        jwksCooldownMs: 30_000,
      },
    ]);
  });

  it("is empty when left out: only aik_ keys are accepted", () => {
    expect(load("").auth.jwtIssuers).toEqual([]);
  });

  it("takes a list of audiences and a cooldown", () => {
    const c = load(`
auth:
  jwt_issuers:
    - { issuer: "http://127.0.0.1:8080/t/v2.0", audience: [api://aik, 0b9f0000-0000-4000-8000-000000000001], jwks_uri: "http://127.0.0.1:8080/keys", jwks_cooldown_seconds: 5 }
`);
    expect(c.auth.jwtIssuers[0]).toMatchObject({ audiences: ["api://aik", "0b9f0000-0000-4000-8000-000000000001"], jwksCooldownMs: 5000 });
  });

  it.each([
    ["jwks_uri over plain http off loopback", `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "http://idp.example/keys" }`, /jwt_issuers\[0\]\.jwks_uri must be an https URL/],
    ["an http issuer off loopback", `{ issuer: "http://idp.example/v2.0", audience: a, jwks_uri: "https://idp.example/keys" }`, /jwt_issuers\[0\]\.issuer must be an https URL/],
    ["a relative jwks_uri", `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "/keys" }`, /jwt_issuers\[0\]\.jwks_uri must be an absolute URL/],
    ["credentials in jwks_uri", `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "https://u:p@idp.example/keys" }`, /must not carry credentials/],
    ["no audience", `{ issuer: "https://idp.example/v2.0", jwks_uri: "https://idp.example/keys" }`, /jwt_issuers\[0\]\.audience is required/],
    ["no issuer", `{ audience: a, jwks_uri: "https://idp.example/keys" }`, /jwt_issuers\[0\]\.issuer is required/],
    ["an unknown field", `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "https://idp.example/keys", algorithms: [HS256] }`, /jwt_issuers\[0\]\.algorithms is not a known setting/],
    ["a cooldown of 0", `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "https://idp.example/keys", jwks_cooldown_seconds: 0 }`, /jwks_cooldown_seconds must be a whole number from 1 to 3600/],
  ])("refuses %s, naming the field", (_name, entry, message) => {
    expect(() => load(`auth:\n  jwt_issuers:\n    - ${entry}\n`)).toThrow(message);
  });

  it("refuses the same issuer twice", () => {
    const entry = `{ issuer: "https://idp.example/v2.0", audience: a, jwks_uri: "https://idp.example/keys" }`;
    expect(() => load(`auth:\n  jwt_issuers:\n    - ${entry}\n    - ${entry}\n`)).toThrow(/jwt_issuers\[1\]\.issuer repeats/);
  });
});
