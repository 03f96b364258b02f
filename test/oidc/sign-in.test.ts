// Single sign-on against a local OpenID Connect provider, driven by hand over HTTP: users made on first sign-in, the admin claim, and each refusal (state, code replay, nonce, tenant, disabled user, taken email) by its reason code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";
import { startTestProvider, TEST_CLIENT_ID, type TestAccount, type TestProvider } from "../support/oidc-provider.js";
import { authorize, callback, refusalOf, signIn, startSignIn } from "./flow.js";

const TENANT = "11111111-2222-3333-4444-555555555555";
const ADMIN_ROLE = "AIK.Admin";

let provider: TestProvider;
let t: TestGateway;

beforeAll(async () => {
  provider = await startTestProvider();
  t = await startTestGateway({}, (c) => ({
    ...c,
    auth: {
      ...c.auth,
      signIn: {
        passwordLogin: true,
        oidc: {
          issuer: provider.issuer,
          clientId: TEST_CLIENT_ID,
          clientSecret: provider.clientSecret,
          adminClaim: "roles",
          adminValues: [ADMIN_ROLE],
          allowedTenants: [TENANT],
          redirectUri: undefined,
          providerName: "Test IdP",
        },
      },
    },
  }));
}, 60_000);

afterAll(async () => {
  await t?.close();
  await provider?.close();
});

let n = 0;
function account(fields: Partial<TestAccount> = {}): TestAccount {
  n += 1;
  const sub = `subject-${n}-${Date.now()}`;
  return { sub, email: `${sub}@corp.example`, name: `Person ${n}`, tid: TENANT, roles: [], ...fields };
}

async function whoAmI(session: string): Promise<{ status: number; json: any }> {
  return adminCall(t.httpUrl, session, "GET", "/v1/auth/whoami");
}

describe("single sign-on", { timeout: 60_000 }, () => {
  // Runs first: the provider answers 503 to everything until attach(), as a provider that is down would.
  it("a provider down at the first sign-in is a 503 in the error envelope, the gateway having started without it; the next sign-in discovers it", async () => {
    const res = await request(`${t.httpUrl}/v1/auth/oidc/start`);
    expect(res.statusCode).toBe(503);
    const body: any = await res.body.json();
    expect(body.error.code).toBe("provider_unavailable");
    expect(res.headers["set-cookie"]).toBeUndefined();

    provider.attach(`${t.httpUrl}/v1/auth/oidc/callback`);
    provider.signInAs(account());
    const started = await startSignIn(t.httpUrl);
    const url = started.authorizeUrl;
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("redirect_uri")).toBe(`${t.httpUrl}/v1/auth/oidc/callback`);
    // The flow's secret is only in the cookie: nothing of it in the URL, which carries the derived values alone.
    const secret = started.flowCookie.slice("aik_oidc=".length);
    expect(url.href).not.toContain(secret);
  });

  it("the flow cookie is HttpOnly, SameSite=Lax, scoped to the sign-in paths, short-lived", async () => {
    const res = await request(`${t.httpUrl}/v1/auth/oidc/start`);
    await res.body.dump();
    const set = String(res.headers["set-cookie"]);
    expect(set).toMatch(/^aik_oidc=[A-Za-z0-9_-]{43}; /);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).toMatch(/; Path=\/v1\/auth\/oidc/);
    expect(set).toMatch(/; Max-Age=600/);
  });

  it("a first sign-in creates a member named by the claims; the session is the console's and the Admin API's; the next sign-in finds the same user", async () => {
    const who = account({ name: "Ada Lovelace" });
    provider.signInAs(who);
    const first = await signIn(t.httpUrl);
    expect(first.status).toBe(303);
    expect(first.location).toBe("/console/");
    expect(first.session).toMatch(/^aiks_/);
    // The flow cookie is cleared; the session cookie is the console's own.
    expect(first.setCookies.find((c) => c.startsWith("aik_oidc="))).toMatch(/Max-Age=0/);
    expect(first.setCookies.find((c) => c.startsWith("aik_session="))).toMatch(/HttpOnly; SameSite=Strict; Path=\//);

    const me = await whoAmI(first.session ?? "");
    expect(me.status).toBe(200);
    expect(me.json.principal).toBe("user");
    expect(me.json.user).toMatchObject({ email: who.email, name: "Ada Lovelace", role: "ROLE_MEMBER", status: "USER_STATUS_ACTIVE", kind: "USER_KIND_PERSON" });
    // The console's own session route accepts the same token as its cookie.
    const consoleSession = await request(`${t.httpUrl}/console/api/session`, { headers: { cookie: `aik_session=${first.session}` } });
    const consoleBody: any = await consoleSession.body.json();
    expect(consoleSession.statusCode).toBe(200);
    expect(consoleBody.user.id).toBe(me.json.user.id);

    provider.signInAs({ ...who, name: "Ada King" });
    const second = await signIn(t.httpUrl);
    const again = await whoAmI(second.session ?? "");
    expect(again.json.user.id).toBe(me.json.user.id);
    expect(again.json.user.name).toBe("Ada King");
  });

  it("two first sign-ins of one person at once make one user", async () => {
    provider.signInAs(account());
    const flows = [];
    for (let i = 0; i < 2; i++) {
      const { authorizeUrl, flowCookie } = await startSignIn(t.httpUrl);
      flows.push({ back: await authorize(authorizeUrl, t.httpUrl), flowCookie });
    }
    const answers = await Promise.all(flows.map((f) => callback(f.back, f.flowCookie)));
    const ids = await Promise.all(answers.map(async (a) => (await whoAmI(a.session ?? "")).json.user?.id));
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it("the admin claim makes an admin (the Admin API serves that session), re-evaluated at every sign-in", async () => {
    const who = account({ roles: ["Reader", ADMIN_ROLE] });
    provider.signInAs(who);
    const asAdmin = await signIn(t.httpUrl);
    expect((await whoAmI(asAdmin.session ?? "")).json.user.role).toBe("ROLE_ADMIN");
    const users = await adminCall(t.httpUrl, asAdmin.session, "GET", "/v1/admin/users");
    expect(users.status).toBe(200);
    expect(users.json.users.some((u: { email: string }) => u.email === who.email)).toBe(true);

    // The role is withdrawn at the provider: the next sign-in makes a member again.
    provider.signInAs({ ...who, roles: ["Reader"] });
    const asMember = await signIn(t.httpUrl);
    expect((await whoAmI(asMember.session ?? "")).json.user.role).toBe("ROLE_MEMBER");
    expect((await adminCall(t.httpUrl, asMember.session, "GET", "/v1/admin/users")).status).toBe(403);
  });

  it("a tampered state is refused before the code is redeemed, and the untampered answer still works after", async () => {
    provider.signInAs(account());
    const { authorizeUrl, flowCookie } = await startSignIn(t.httpUrl);
    const back = await authorize(authorizeUrl, t.httpUrl);
    const tampered = new URL(back);
    const state = back.searchParams.get("state") ?? "";
    // Its last character changed (a state already ending in "A", 1 in 64, would otherwise stay the same).
    tampered.searchParams.set("state", `${state.slice(0, -1)}${state.endsWith("A") ? "B" : "A"}`);
    const refused = await callback(tampered, flowCookie);
    expect(refusalOf(refused)).toBe("state_mismatch");
    expect(refused.location).toBe("/console/login?sso_error=state_mismatch");
    expect(refused.session).toBeUndefined();
    // The code was never sent to the provider, so it still works with the right state.
    expect((await callback(back, flowCookie)).session).toMatch(/^aiks_/);
  });

  it("a replayed code is refused", async () => {
    provider.signInAs(account());
    const { authorizeUrl, flowCookie } = await startSignIn(t.httpUrl);
    const back = await authorize(authorizeUrl, t.httpUrl);
    expect((await callback(back, flowCookie)).session).toMatch(/^aiks_/);
    const replay = await callback(back, flowCookie);
    expect(refusalOf(replay)).toBe("code_rejected");
    expect(replay.session).toBeUndefined();
  });

  it("an ID token with another nonce is refused", async () => {
    provider.signInAs(account());
    const { authorizeUrl, flowCookie } = await startSignIn(t.httpUrl);
    // The provider is asked for a token with a nonce this browser's sign-in did not make.
    authorizeUrl.searchParams.set("nonce", "a-nonce-chosen-by-someone-else-0123456789ab");
    const answer = await callback(await authorize(authorizeUrl, t.httpUrl), flowCookie);
    expect(refusalOf(answer)).toBe("nonce_mismatch");
    expect(answer.session).toBeUndefined();
  });

  it("a token from a tenant that is not allowed (or from none) is refused, and no user is created", async () => {
    for (const tid of ["99999999-0000-0000-0000-000000000000", undefined]) {
      const stranger = account({ tid });
      provider.signInAs(stranger);
      const answer = await signIn(t.httpUrl);
      expect(refusalOf(answer)).toBe("tenant_not_allowed");
      expect(answer.session).toBeUndefined();
      const users = await adminCall(t.httpUrl, t.adminToken, "GET", "/v1/admin/users?page_size=1000");
      expect(users.json.users.some((u: { email: string }) => u.email === stranger.email)).toBe(false);
    }
  });

  it("an answer without this browser's flow cookie is refused (another browser, or an expired sign-in)", async () => {
    provider.signInAs(account());
    const { authorizeUrl } = await startSignIn(t.httpUrl);
    const back = await authorize(authorizeUrl, t.httpUrl);
    expect(refusalOf(await callback(back, undefined))).toBe("sign_in_expired");
    const other = await startSignIn(t.httpUrl);
    expect(refusalOf(await callback(back, other.flowCookie))).toBe("state_mismatch");
  });

  it("a disabled user's sessions end at once, and their next sign-in is refused", async () => {
    const who = account();
    provider.signInAs(who);
    const session = (await signIn(t.httpUrl)).session ?? "";
    const id = (await whoAmI(session)).json.user.id;
    const disabled = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${id}`, { status: "USER_STATUS_DISABLED" });
    expect(disabled.status).toBe(200);
    expect((await whoAmI(session)).status).toBe(401);

    provider.signInAs(who);
    const again = await signIn(t.httpUrl);
    expect(refusalOf(again)).toBe("user_disabled");
    expect(again.session).toBeUndefined();
    // Enabled again, the same identity signs in as the same user; the old session stays ended.
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${id}`, { status: "USER_STATUS_ACTIVE" });
    const back = await signIn(t.httpUrl);
    expect((await whoAmI(back.session ?? "")).json.user.id).toBe(id);
    expect((await whoAmI(session)).status).toBe(401);
  });

  it("an email a local account already has is not taken over", async () => {
    const local = await provisionUser(t.httpUrl, t.adminToken, "member");
    provider.signInAs(account({ email: local.email }));
    expect(refusalOf(await signIn(t.httpUrl))).toBe("email_in_use");
  });

  it("without an email claim, preferred_username (Entra's sign-in name) is the email; with neither, the sign-in is refused", async () => {
    const upn = account({ email: undefined, preferred_username: `upn-${Date.now()}@corp.example` });
    provider.signInAs(upn);
    const answer = await signIn(t.httpUrl);
    expect((await whoAmI(answer.session ?? "")).json.user.email).toBe(upn.preferred_username);

    provider.signInAs(account({ email: undefined }));
    expect(refusalOf(await signIn(t.httpUrl))).toBe("email_missing");
  });

  it("the audit trail records the creation and the sign-in, and nothing of a token", async () => {
    const who = account();
    provider.signInAs(who);
    const answer = await signIn(t.httpUrl);
    const id = (await whoAmI(answer.session ?? "")).json.user.id;
    const events = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?target_id=${id}`);
    expect(events.status).toBe(200);
    const actions = events.json.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["user.created", "login.succeeded"]));
    const text = JSON.stringify(events.json);
    expect(text).not.toContain("eyJ");
    expect(text).not.toContain(answer.session);
    expect(t.logs.join("\n")).not.toContain("eyJ");
  });
});
