// Who may do what through the console, in a real browser: members kept out of admin pages and others' keys and usage, CSRF refusals, and an admin's user and deployment pages.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { request } from "undici";
import { launchChromium, logInThroughPage, newContext, watchPage, type PageWatch } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
let browser: Browser;
let alice: Provisioned;
let bob: Provisioned;

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  t = await startTestGateway({ console: { enabled: true, dir } });
  [alice, bob] = await Promise.all([provisionUser(t.httpUrl, t.adminToken, "member"), provisionUser(t.httpUrl, t.adminToken, "member")]);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function loggedIn(who: Provisioned): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await newContext(browser, t.httpUrl);
  const page = await context.newPage();
  const watch = watchPage(page);
  watch.expectFailedLoad("/console/api/session", 401);
  await logInThroughPage(page, t.httpUrl, who.email, who.password);
  return { context, page, watch };
}

/** A request made by the page's own fetch, with its cookie: what a script on the console could do. Resolves with status and error message. */
async function pageFetch(page: Page, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; message: string }> {
  const script = `fetch(${JSON.stringify(path)}, { method: ${JSON.stringify(method)}, credentials: "same-origin", headers: ${JSON.stringify(headers)}${
    body === undefined ? "" : `, body: ${JSON.stringify(JSON.stringify(body))}`
  } }).then(async (r) => JSON.stringify({ status: r.status, text: await r.text() }))`;
  const raw: unknown = JSON.parse(String(await page.evaluate(script)));
  if (typeof raw !== "object" || raw === null || !("status" in raw) || !("text" in raw)) throw new Error("unexpected fetch result");
  let message = "";
  try {
    const parsed: unknown = JSON.parse(String(raw.text));
    if (typeof parsed === "object" && parsed !== null && "error" in parsed && typeof parsed.error === "object" && parsed.error !== null && "message" in parsed.error) message = String(parsed.error.message);
  } catch {
    message = "";
  }
  return { status: Number(raw.status), message };
}

async function csrfOf(page: Page): Promise<string> {
  const raw: unknown = JSON.parse(String(await page.evaluate(`fetch("/console/api/session").then((r) => r.text())`)));
  if (typeof raw !== "object" || raw === null || !("csrf_token" in raw)) throw new Error("no csrf_token in the session answer");
  return String(raw.csrf_token);
}

async function keysOf(userId: string): Promise<{ id: string; revoked_at?: string }[]> {
  return (await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${userId}&include_revoked=true`)).json.api_keys;
}

async function notAllowedShown(page: Page, path: string): Promise<string> {
  await page.goto(`${t.httpUrl}${path}`);
  const section = page.locator("section.not-allowed");
  await section.getByRole("heading", { name: "Not allowed" }).waitFor();
  return section.innerText();
}

describe("console access rules", { timeout: 120_000 }, () => {
  test("a member cannot open the admin pages: the page says 'Not allowed', the navigation offers none, and the API refuses", async () => {
    const { context, page, watch } = await loggedIn(alice);
    expect(await page.getByRole("navigation").getByRole("link").allInnerTexts()).toEqual(["Keys", "Usage", "Limits", "Teams", "What we store"]);
    watch.expectFailedLoad("/v1/admin/users", 403);
    watch.expectFailedLoad("/v1/admin/deployments", 403);
    expect(await notAllowedShown(page, "/console/admin/users")).toContain("Only admins");
    expect(await page.locator("table").count()).toBe(0);
    expect(await notAllowedShown(page, "/console/admin/deployments")).toContain("Only admins");
    expect((await pageFetch(page, "GET", "/v1/admin/users")).status).toBe(403);
    expect((await pageFetch(page, "GET", "/v1/admin/deployments")).status).toBe(403);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("a member cannot read another member's keys, usage or limits: 'Not allowed' on the page, refused by the API", async () => {
    const { context, page, watch } = await loggedIn(alice);
    watch.expectFailedLoad("/v1/admin/api-keys", 403);
    watch.expectFailedLoad("/v1/admin/usage", 400);
    watch.expectFailedLoad(`/v1/admin/users/${bob.userId}/limit-status`, 403);
    for (const path of ["keys", "usage", "limits"]) {
      const text = await notAllowedShown(page, `/console/${path}?user_id=${bob.userId}`);
      expect(text).toMatch(/only your own/);
      expect(text).not.toContain(bob.keyId);
      expect(text).not.toContain(bob.email);
    }
    expect((await pageFetch(page, "GET", `/v1/admin/api-keys?user_id=${bob.userId}`)).status).toBe(403);
    expect((await pageFetch(page, "GET", `/v1/admin/usage?user_id=${bob.userId}`)).status).toBe(400);
    expect((await pageFetch(page, "GET", `/v1/admin/users/${bob.userId}/limit-status`)).status).toBe(403);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("another member's key id is refused with a clear message and the key keeps working", async () => {
    const { context, page, watch } = await loggedIn(alice);
    watch.expectFailedLoad(`/v1/admin/api-keys/${bob.keyId}:revoke`, 404);
    const csrf = await csrfOf(page);
    const answer = await pageFetch(page, "POST", `/v1/admin/api-keys/${bob.keyId}:revoke`, { "content-type": "application/json", "x-csrf-token": csrf }, {});
    expect(answer.status).toBe(404);
    expect(answer.message).toMatch(/key/i);
    expect((await keysOf(bob.userId)).find((k) => k.id === bob.keyId)?.revoked_at).toBeUndefined();
    const ok = await gatewaySdk({ httpUrl: t.httpUrl, apiKey: bob.apiKey }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "still mine" }] });
    expect(ok.choices.length).toBeGreaterThan(0);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("a cross-site POST without the CSRF token is refused, so is one carrying another session's token; nothing is created", async () => {
    const { context, page } = await loggedIn(alice);
    const before = (await keysOf(alice.userId)).length;
    // Another origin (same site: only the port differs, so a SameSite cookie is still sent) posts a form to the gateway.
    const evil = await startEvilSite(t.httpUrl);
    try {
      await page.goto(evil.url);
      await page.waitForURL(`${t.httpUrl}/v1/admin/api-keys`);
      expect(await page.locator("body").innerText()).toContain("Missing or invalid CSRF token.");
    } finally {
      await new Promise<void>((done) => evil.server.close(() => done()));
    }
    expect((await keysOf(alice.userId)).length).toBe(before);

    // The same request with the cookie but no token, and with a token of Bob's session.
    const cookie = (await context.cookies()).find((c) => c.name === "aik_session")?.value ?? "";
    const send = async (headers: Record<string, string>) => {
      const res = await request(`${t.httpUrl}/v1/admin/api-keys`, {
        method: "POST",
        headers: { cookie: `aik_session=${cookie}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "csrf" }),
      });
      return { status: res.statusCode, body: JSON.parse(await res.body.text()) };
    };
    const missing = await send({});
    expect(missing.status).toBe(403);
    expect(missing.body.error.message).toBe("Missing or invalid CSRF token.");
    const bobs = await loggedIn(bob);
    const foreign = await send({ "x-csrf-token": await csrfOf(bobs.page) });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toBe("Missing or invalid CSRF token.");
    expect((await keysOf(alice.userId)).length).toBe(before);
    // With Alice's own token the same request goes through: the refusals above were the token's doing.
    await page.goto(`${t.httpUrl}/console/keys`);
    expect((await send({ "x-csrf-token": await csrfOf(page) })).status).toBe(200);
    await bobs.context.close();
    await context.close();
  });

  test("the session cookie is no credential on the data plane", async () => {
    const { context, page, watch } = await loggedIn(alice);
    watch.expectFailedLoad("/v1/chat/completions", 401);
    const answer = await pageFetch(page, "POST", "/v1/chat/completions", { "content-type": "application/json" }, { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(answer.status).toBe(401);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });

  test("an admin creates a user, changes role and limits, disables and enables, unlocks; sees the deployments' live state", async () => {
    const admin = await provisionUser(t.httpUrl, t.adminToken, "admin");
    const { context, page, watch } = await loggedIn(admin);
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();

    const email = `carol-${Date.now()}@example.test`;
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText(`${email} is created.`).waitFor();
    const row = page.locator("table.users tbody tr").filter({ hasText: email });
    const userId = (await row.getAttribute("data-user-id")) ?? "";
    const get = async () => (await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${userId}`)).json.user;
    expect((await get()).role).toBe("ROLE_MEMBER");

    await row.getByLabel(`Role of ${email}`).selectOption("admin");
    await page.getByText(`${email} is now an admin.`).waitFor();
    expect((await get()).role).toBe("ROLE_ADMIN");
    await row.getByLabel(`Role of ${email}`).selectOption("member");
    await page.getByText(`${email} is now a member.`).waitFor();

    await row.getByRole("button", { name: `Limits of ${email}` }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Requests per minute").fill("60");
    await dialog.getByLabel("Monthly budget (USD)").fill("12.50");
    await dialog.getByRole("button", { name: "Save limits" }).click();
    await page.getByText(`The limits of ${email} are saved.`).waitFor();
    expect((await get()).limits).toEqual({ requests_per_minute: 60, monthly_budget_usd: "12.50" });
    expect(await row.innerText()).toContain("60 requests/min");

    await row.getByRole("button", { name: `Disable ${email}` }).click();
    await page.getByText(`${email} is disabled.`).waitFor();
    expect((await get()).status).toBe("USER_STATUS_DISABLED");
    await row.getByRole("button", { name: `Enable ${email}` }).click();
    await page.getByText(`${email} is active again.`).waitFor();
    expect((await get()).status).toBe("USER_STATUS_ACTIVE");

    // Five wrong logins lock Carol; the admin unlocks her from the page.
    for (let i = 0; i < 5; i++) await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password: `wrong-${i}-password` });
    expect((await get()).locked_until).toBeDefined();
    await page.reload();
    await row.getByRole("button", { name: `Unlock ${email}` }).click();
    await page.getByText(`${email} may log in again.`).waitFor();
    expect((await get()).locked_until).toBeUndefined();
    expect((await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password: "a long enough passphrase" })).status).toBe(200);

    // An admin's own limits and usage may name anyone.
    await page.goto(`${t.httpUrl}/console/usage?user_id=${alice.userId}`);
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    await page.getByLabel("Whose usage").waitFor();
    expect(await page.locator("section.not-allowed").count()).toBe(0);

    await page.getByRole("link", { name: "Deployments" }).click();
    const deployments = page.locator("table.deployments tbody tr");
    await deployments.first().waitFor();
    const first = (await deployments.first().locator("td").allInnerTexts()).map((c) => c.trim());
    expect(first.slice(0, 3)).toEqual(["gpt-4o", "gpt-4o", "standard"]);
    expect(first[5]).toMatch(/^healthy/);
    expect(await deployments.count()).toBeGreaterThan(5);
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });
});

/** A page on another origin that posts a JSON-looking text/plain form to the gateway as soon as it loads: the classic CSRF. */
async function startEvilSite(gatewayUrl: string): Promise<{ server: Server; url: string }> {
  const html = `<!doctype html><html><body>
<form id="f" method="POST" action="${gatewayUrl}/v1/admin/api-keys" enctype="text/plain"><input type="hidden" name='{"name":"csrf-attack","x":"' value='"}'></form>
<script>document.getElementById("f").submit();</script></body></html>`;
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the evil site has no port");
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
