// Single sign-on through the console in a real browser, with password login turned off: the login page offers only the provider, the sign-in ends in a console session; Login over HTTP and gRPC is refused.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, newContext, screenshot, watchPage } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { authClient, call, isServiceError } from "../support/grpc-client.js";
import { adminCall } from "../support/identity.js";
import { startTestProvider, TEST_CLIENT_ID, type TestProvider } from "../support/oidc-provider.js";

const ADMIN_ROLE = "AIK.Admin";

let provider: TestProvider;
let t: TestGateway;
let browser: Browser;

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  // On another site than the gateway (localhost against 127.0.0.1): the callback is a cross-site navigation, as with a real provider.
  provider = await startTestProvider("localhost");
  t = await startTestGateway({ console: { enabled: true, dir } }, (c) => ({
    ...c,
    auth: {
      ...c.auth,
      signIn: {
        passwordLogin: false,
        oidc: {
          issuer: provider.issuer,
          clientId: TEST_CLIENT_ID,
          clientSecret: provider.clientSecret,
          adminClaim: "roles",
          adminValues: [ADMIN_ROLE],
          allowedTenants: [],
          redirectUri: undefined,
          providerName: "Test IdP",
        },
      },
    },
  }));
  provider.attach(`${t.httpUrl}/v1/auth/oidc/callback`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await provider?.close();
});

describe("single sign-on in the console", { timeout: 120_000 }, () => {
  it("the login page offers only 'Sign in with Test IdP'; the sign-in ends on the keys page with a console session, an admin by the provider's role", async () => {
    const sub = `browser-${Date.now()}`;
    provider.signInAs({ sub, email: `${sub}@corp.example`, name: "Grace Hopper", roles: [ADMIN_ROLE] });
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);

    await page.goto(`${t.httpUrl}/console/login`);
    const button = page.getByRole("link", { name: "Sign in with Test IdP" });
    await button.waitFor();
    expect(await page.getByLabel("Password").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Log in" }).count()).toBe(0);
    await screenshot(page, "oidc-login-page");

    await button.click();
    // The provider's own page: leaving it for the gateway is a cross-site navigation, as after a real login.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/keys");
    // The provider's admin role made an admin: the admin pages are in the navigation.
    await page.getByRole("link", { name: "Users" }).waitFor();
    await screenshot(page, "oidc-signed-in");

    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "aik_oidc")).toBeUndefined();
    const session = cookies.find((c) => c.name === "aik_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    const me = await adminCall(t.httpUrl, session?.value, "GET", "/v1/auth/whoami");
    expect(me.json.user).toMatchObject({ email: `${sub}@corp.example`, name: "Grace Hopper", role: "ROLE_ADMIN" });

    // The sign-in's own navigations cross between the two origins (and the provider's page has no favicon): the rest must be clean.
    const problems = (await watch.problems()).filter(
      (p) => !p.startsWith(`request to another origin: ${provider.issuer}/`) && !p.startsWith(`request to another origin: ${t.httpUrl}/`) && !p.includes(`(${provider.issuer}/`),
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a refused sign-in comes back to the login page, which says why in words", async () => {
    // The test member's email belongs to a local account: single sign-on never takes it over.
    provider.signInAs({ sub: `taken-${Date.now()}`, email: t.member.email, name: "Someone Else" });
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    await page.goto(`${t.httpUrl}/console/login`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("Another account here already uses your email address.").waitFor();
    expect(new URL(page.url()).searchParams.get("sso_error")).toBe("email_in_use");
    expect((await context.cookies()).find((c) => c.name === "aik_session")).toBeUndefined();
    await context.close();
  });

  it("password login off: Login is refused over HTTP, the console's route and gRPC, whatever the password; GetLoginOptions says so", async () => {
    const http = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email: t.member.email, password: t.member.password });
    expect(http.status).toBe(403);
    expect(http.json.error).toMatchObject({ code: "password_login_disabled", type: "permission_error" });
    const viaConsole = await adminCall(t.httpUrl, undefined, "POST", "/console/api/login", { email: t.member.email, password: t.member.password });
    expect(viaConsole.status).toBe(403);
    expect(viaConsole.json.error.code).toBe("password_login_disabled");

    const auth = authClient(t.grpcAddress);
    try {
      const err = await call(auth, auth.login, { email: t.member.email, password: t.member.password }).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.PERMISSION_DENIED);
      const options = await call(auth, auth.getLoginOptions, {});
      expect(options).toEqual({ passwordLogin: false, singleSignOn: true, singleSignOnName: "Test IdP", singleSignOnUrl: "/v1/auth/oidc/start" });
    } finally {
      auth.close();
    }
    const overHttp = await adminCall(t.httpUrl, undefined, "GET", "/v1/auth/login-options");
    expect(overHttp.status).toBe(200);
    expect(overHttp.json).toMatchObject({ single_sign_on: true, single_sign_on_name: "Test IdP", single_sign_on_url: "/v1/auth/oidc/start" });
    expect(overHttp.json.password_login ?? false).toBe(false);
  });
});
