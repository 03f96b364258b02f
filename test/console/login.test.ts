// The console's login in a real browser: the cookie session and its flags, lockout after five wrong passwords with one answer for all, logout, and stale or forged cookies.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { request } from "undici";
import { launchChromium, logInThroughPage, newContext, watchPage } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";

let t: TestGateway;
let browser: Browser;

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  t = await startTestGateway({ console: { enabled: true, dir } });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function sessionCookie(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((c) => c.name === "aik_session");
  if (!cookie) throw new Error("no aik_session cookie in the browser");
  return cookie.value;
}

async function withCookie(method: "GET" | "POST", path: string, cookie: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await request(`${t.httpUrl}${path}`, { method, headers: { cookie: `aik_session=${cookie}`, ...headers } });
  return { status: res.statusCode, body: await res.body.text() };
}

/** Submits the login form and resolves once the gateway answered. */
async function submitLogin(page: Page, email: string, password: string): Promise<number> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/api/login")), page.getByRole("button", { name: "Log in" }).click()]);
  await page.getByRole("button", { name: "Log in" }).waitFor();
  return res.status();
}

async function loginAlert(page: Page): Promise<string> {
  const alert = page.locator("form p.error[role=alert]");
  await alert.waitFor();
  return (await alert.textContent()) ?? "";
}

describe("console login", { timeout: 120_000 }, () => {
  test("keyboard login sets an HttpOnly, SameSite=Strict, Path=/ session cookie that never reaches the page or storage; logout ends the session on the server", async () => {
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);
    await page.goto(`${t.httpUrl}/console`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();

    // Labelled fields, reached and submitted with the keyboard alone.
    await page.getByLabel("Email").focus();
    await page.keyboard.type(t.member.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(t.member.password);
    const [login] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/api/login")), page.keyboard.press("Enter")]);
    expect(login.status()).toBe(200);
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/keys");

    const setCookie = (await login.headerValue("set-cookie")) ?? "";
    expect(setCookie).toMatch(/^aik_session=[^;]+/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    // Plain HTTP outside production mode: no Secure flag (it would make the cookie unusable here).
    expect(setCookie).not.toMatch(/;\s*Secure/i);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "aik_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/", secure: false });
    const token = session?.value ?? "";
    expect(token.length).toBeGreaterThan(20);
    // The token is in the cookie only: not in the login answer's body, not readable by the page, not in storage.
    expect(await login.text()).not.toContain(token);
    expect(await page.evaluate("document.cookie")).not.toContain(token);
    expect(await page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")).toBe("[[],[]]");
    await page.getByText(t.member.email).first().waitFor();

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You are logged out.").waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/login");
    expect((await context.cookies()).find((c) => c.name === "aik_session")).toBeUndefined();
    // The old token no longer opens anything: the session ended on the server, not only in the browser.
    expect((await withCookie("GET", "/console/api/session", token)).status).toBe(401);
    expect((await withCookie("GET", "/v1/auth/whoami", token)).status).toBe(401);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("five wrong passwords lock the account; the page says only 'Invalid email or password.', and the right password after the lock is refused alike", async () => {
    const victim = await provisionUser(t.httpUrl, t.adminToken, "member");
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);
    watch.expectFailedLoad("/console/api/login", 401);
    await page.goto(`${t.httpUrl}/console/login`);

    for (let i = 0; i < 5; i++) {
      expect(await submitLogin(page, victim.email, `wrong-password-${i}`)).toBe(401);
      expect(await loginAlert(page)).toBe("Invalid email or password.");
    }
    const user = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${victim.userId}`);
    expect(new Date(user.json.user.locked_until).getTime()).toBeGreaterThan(Date.now());

    // The right password is refused exactly like a wrong one: nothing tells a guesser the account exists or is locked.
    expect(await submitLogin(page, victim.email, victim.password)).toBe(401);
    expect(await loginAlert(page)).toBe("Invalid email or password.");
    // An address nobody has gets the same sentence.
    expect(await submitLogin(page, "nobody-here@example.test", "whatever-password")).toBe(401);
    expect(await loginAlert(page)).toBe("Invalid email or password.");
    const text = await page.locator("body").innerText();
    expect(text).not.toMatch(/lock|exist|unknown/i);
    expect((await context.cookies()).some((c) => c.name === "aik_session")).toBe(false);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("a forged session cookie shows the login page and the API refuses it; nothing is created", async () => {
    const context = await newContext(browser, t.httpUrl);
    const forged = `aiks_${"A".repeat(43)}`;
    await context.addCookies([{ name: "aik_session", value: forged, url: t.httpUrl, httpOnly: true, sameSite: "Strict" }]);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);
    await page.goto(`${t.httpUrl}/console/keys`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(await page.getByRole("heading", { name: "API keys" }).count()).toBe(0);

    const before = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${t.member.userId}&include_revoked=true`);
    for (const path of ["/v1/admin/api-keys", "/v1/auth/whoami", "/console/api/session"]) {
      expect((await withCookie("GET", path, forged)).status, path).toBe(401);
    }
    const create = await withCookie("POST", "/v1/admin/api-keys", forged, { "content-type": "application/json", "x-csrf-token": "forged" });
    expect(create.status).toBe(401);
    expect(JSON.parse(create.body).error.message).toEqual(expect.any(String));
    const after = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${t.member.userId}&include_revoked=true`);
    expect(after.json.api_keys.length).toBe(before.json.api_keys.length);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("a session that ends while the page is open sends it back to login with nothing of the old page kept", async () => {
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);
    await logInThroughPage(page, t.httpUrl, t.member.email, t.member.password);
    await page.locator("table.keys").waitFor();

    // The session ends elsewhere (another tab's logout): the page still shows the keys.
    const token = await sessionCookie(page);
    const csrf = JSON.parse((await withCookie("GET", "/console/api/session", token)).body).csrf_token;
    expect((await withCookie("POST", "/console/api/logout", token, { "x-csrf-token": csrf })).status).toBe(204);

    watch.expectFailedLoad("/v1/admin/usage", 401);
    watch.expectFailedLoad("/v1/admin/api-keys", 401);
    await page.getByRole("link", { name: "Usage" }).click();
    await page.getByText("Your session has ended. Log in again.").waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/login");
    expect(await page.locator("table").count()).toBe(0);
    expect(await page.locator("body").innerText()).not.toContain(t.member.email);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });
});
