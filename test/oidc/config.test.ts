// auth.oidc and auth.password_login from the config file: the defaults, the secret from the env var named, and each invalid setting naming its field and the fix.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/reader.js";

function load(auth: string, env: Record<string, string> = {}) {
  return loadConfig({ AIK_CONFIG: "/etc/aik.yaml", ...env }, () => `auth:\n${auth}`);
}

function refusal(auth: string, env: Record<string, string> = {}): string {
  try {
    load(auth, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("the config was accepted");
}

const ENTRA = `
  oidc:
    issuer: https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0
    client_id: 6731de76-14a6-49ae-97bc-6eba6914391e
    client_secret_env: AIK_OIDC_SECRET
    admin_claim: roles
    admin_values: [AIK.Admin]
    allowed_tenants: [11111111-2222-3333-4444-555555555555]
`;

describe("sign-in settings", () => {
  it("default: password login on, no single sign-on", () => {
    expect(loadConfig({}).auth.signIn).toEqual({ passwordLogin: true, oidc: undefined });
  });

  it("an Entra ID section, the secret read from the variable it names", () => {
    const c = load(`${ENTRA}  password_login: false\n`, { AIK_OIDC_SECRET: "s3cret" });
    expect(c.auth.signIn).toEqual({
      passwordLogin: false,
      oidc: {
        issuer: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
        clientSecret: "s3cret",
        adminClaim: "roles",
        adminValues: ["AIK.Admin"],
        allowedTenants: ["11111111-2222-3333-4444-555555555555"],
        redirectUri: undefined,
        providerName: "single sign-on",
      },
    });
  });

  it("a public client (no secret) is allowed: PKCE alone", () => {
    const c = load("  oidc:\n    issuer: https://idp.example\n    client_id: aik\n");
    expect(c.auth.signIn.oidc?.clientSecret).toBeUndefined();
  });

  it.each([
    ["  oidc:\n    client_id: aik\n", "auth.oidc.issuer is required"],
    ["  oidc:\n    issuer: https://idp.example\n", "auth.oidc.client_id is required"],
    ["  oidc:\n    issuer: http://idp.example\n    client_id: aik\n", "auth.oidc.issuer must use https"],
    ["  oidc:\n    issuer: https://idp.example?x=1\n    client_id: aik\n", "auth.oidc.issuer must not carry a query"],
    ["  oidc:\n    issuer: not a url\n    client_id: aik\n", "auth.oidc.issuer must be an absolute URL"],
    ["  oidc:\n    issuer: https://idp.example\n    client_id: aik\n    admin_claim: roles\n", "auth.oidc.admin_claim and auth.oidc.admin_values go together"],
    ["  oidc:\n    issuer: https://idp.example\n    client_id: aik\n    client_secret_env: NOT_SET_HERE\n", "auth.oidc.client_secret_env names NOT_SET_HERE, which is unset or empty"],
    ["  oidc:\n    issuer: https://idp.example\n    client_id: aik\n    clientid: x\n", "auth.oidc.clientid is not a known setting"],
    ["  password_login: false\n", "auth.password_login is false and auth.oidc is not set"],
    ["  password_login: no\n", "auth.password_login must be true or false"],
  ])("refuses %j", (auth, message) => {
    expect(refusal(auth)).toContain(message);
  });

  it("plain http is accepted for a loopback issuer (a local provider)", () => {
    expect(load("  oidc:\n    issuer: http://127.0.0.1:4000\n    client_id: aik\n").auth.signIn.oidc?.issuer).toBe("http://127.0.0.1:4000");
  });
});
