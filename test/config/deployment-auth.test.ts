// A deployment's `auth`: api_key (the default) or entra, as a managed identity or a service principal; every wrong combination names its field and the fix.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { Deployment } from "../../src/core/deployments.js";

const CLIENT = "00000000-0000-4000-8000-000000000001";
const TENANT = "11111111-1111-4111-8111-111111111111";

function deploymentWith(fields: string, env: Record<string, string> = {}): Deployment {
  const text = `
deployments:
  - id: d
    endpoint: https://r.openai.azure.com
    deployment: gpt-4o
    model: gpt-4o
    api_style: v1
${fields
  .trim()
  .split("\n")
  .map((l) => `    ${l.trim()}`)
  .join("\n")}
`;
  const c = loadConfig({ AIK_CONFIG: "/etc/aik.yaml", ...env }, () => text);
  if (c.mode.kind !== "deployments") throw new Error("expected deployments mode");
  const d = c.mode.deployments[0];
  if (!d) throw new Error("no deployment");
  return d;
}

describe("deployment auth", () => {
  it("defaults to api_key from api_key_env", () => {
    expect(deploymentWith("api_key_env: K", { K: "secret" }).auth).toEqual({ kind: "api_key", apiKey: "secret" });
    expect(deploymentWith("auth: api_key\napi_key_env: K", { K: "secret" }).auth).toEqual({ kind: "api_key", apiKey: "secret" });
  });

  it("entra alone is the system-assigned managed identity; with client_id a user-assigned one", () => {
    expect(deploymentWith("auth: entra").auth).toEqual({ kind: "entra", tenantId: undefined, clientId: undefined, clientSecret: undefined, authorityHost: undefined });
    expect(deploymentWith(`auth: entra\nclient_id: ${CLIENT}`).auth).toMatchObject({ kind: "entra", clientId: CLIENT, clientSecret: undefined });
  });

  it("entra with a client secret is a service principal, optionally in a sovereign cloud", () => {
    const d = deploymentWith(`auth: entra\ntenant_id: ${TENANT}\nclient_id: ${CLIENT}\nclient_secret_env: SP_SECRET\nauthority_host: https://login.microsoftonline.us/`, { SP_SECRET: "s3cret" });
    expect(d.auth).toEqual({ kind: "entra", tenantId: TENANT, clientId: CLIENT, clientSecret: "s3cret", authorityHost: "https://login.microsoftonline.us" });
    expect(deploymentWith(`auth: entra\ntenant_id: contoso.onmicrosoft.com\nclient_id: ${CLIENT}\nclient_secret_env: S`, { S: "x" }).auth).toMatchObject({ tenantId: "contoso.onmicrosoft.com" });
  });

  it.each([
    ["no key and no entra", "region: x", {}, /deployments\[0\]\.api_key_env is required/],
    ["an unknown auth", "auth: oauth", {}, /deployments\[0\]\.auth must be "api_key" or "entra"/],
    ["a key with entra", "auth: entra\napi_key_env: K", { K: "k" }, /deployments\[0\]\.api_key_env is not used with auth: entra/],
    ["entra settings with a key", `api_key_env: K\nclient_id: ${CLIENT}`, { K: "k" }, /deployments\[0\]\.client_id applies only with auth: entra/],
    ["a client id that is not a GUID", "auth: entra\nclient_id: my-app", {}, /deployments\[0\]\.client_id must be an application \(client\) id, a GUID/],
    ["a tenant without a secret", `auth: entra\ntenant_id: ${TENANT}`, {}, /deployments\[0\]\.tenant_id is for a service principal: add client_secret_env/],
    ["an authority for a managed identity", "auth: entra\nauthority_host: https://login.microsoftonline.us", {}, /deployments\[0\]\.authority_host is for a service principal/],
    ["a secret without a tenant", `auth: entra\nclient_id: ${CLIENT}\nclient_secret_env: S`, { S: "x" }, /deployments\[0\]\.tenant_id is required with client_secret_env/],
    ["a secret without a client id", `auth: entra\ntenant_id: ${TENANT}\nclient_secret_env: S`, { S: "x" }, /deployments\[0\]\.client_id is required with client_secret_env/],
    ["a secret variable that is not set", `auth: entra\ntenant_id: ${TENANT}\nclient_id: ${CLIENT}\nclient_secret_env: S`, {}, /deployments\[0\]\.client_secret_env names S, which is not set/],
    ["a bad tenant", `auth: entra\ntenant_id: "not a tenant"\nclient_id: ${CLIENT}\nclient_secret_env: S`, { S: "x" }, /deployments\[0\]\.tenant_id must be a tenant id/],
    ["an authority over http", `auth: entra\ntenant_id: ${TENANT}\nclient_id: ${CLIENT}\nclient_secret_env: S\nauthority_host: http://login.example`, { S: "x" }, /deployments\[0\]\.authority_host must use https:\/\//],
    ["an authority with a path", `auth: entra\ntenant_id: ${TENANT}\nclient_id: ${CLIENT}\nclient_secret_env: S\nauthority_host: https://login.example/tenant`, { S: "x" }, /deployments\[0\]\.authority_host must be an origin only/],
  ])("refuses %s", (_name, fields, env, message) => {
    expect(() => deploymentWith(fields, env)).toThrow(message);
  });
});
