// Every console page in a real browser, for a member and an admin, at 1440 px and 375 px: headers on every /console response, no CSP violation or console error, no sideways scrolling, keyboard use, and screenshots under test-output/console.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { CONSOLE_CSP, NARROW, WIDE, launchChromium, logInThroughPage, newContext, screenshot, watchPage, type PageWatch } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let browser: Browser;
let admin: Provisioned;

const MEMBER_PAGES = [
  { link: "Keys", heading: "API keys", name: "keys", ready: "table.keys" },
  { link: "Usage", heading: "Usage", name: "usage", ready: "table.usage" },
  { link: "Limits", heading: "Limits", name: "limits", ready: ".limit-card" },
  { link: "Teams", heading: "Teams", name: "teams", ready: "#teams-list" },
  { link: "What we store", heading: "What we store", name: "stored", ready: "table.columns" },
] as const;
const ADMIN_PAGES = [
  ...MEMBER_PAGES,
  { link: "Users", heading: "Users", name: "admin-users", ready: "table.users" },
  { link: "Deployments", heading: "Deployments", name: "admin-deployments", ready: "table.deployments" },
] as const;

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  t = await startTestGateway({ console: { enabled: true, dir } });
  admin = await provisionUser(t.httpUrl, t.adminToken, "admin");
  // Some usage for both, so every page has something to draw.
  for (const who of [t.member, admin]) await gatewaySdk({ httpUrl: t.httpUrl, apiKey: who.apiKey }).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  await until("both calls are metered", async () => (await storedRecords(t.databaseUrl, { keyIds: [t.member.keyId, admin.keyId] })).length === 2);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

function expectConsoleHeaders(watch: PageWatch): void {
  expect(watch.consoleResponses.length).toBeGreaterThan(0);
  for (const r of watch.consoleResponses) {
    expect(r.headers["content-security-policy"], r.url).toBe(CONSOLE_CSP);
    expect(r.headers["x-content-type-options"], r.url).toBe("nosniff");
    expect(r.headers["x-frame-options"], r.url).toBe("DENY");
    const path = new URL(r.url).pathname;
    if (path.startsWith("/console/assets/")) expect(r.headers["cache-control"], r.url).toBe("public, max-age=31536000, immutable");
    else expect(r.headers["cache-control"], r.url).toBe("no-store");
  }
}

async function noSidewaysScroll(page: Page, width: number): Promise<void> {
  expect(Number(await page.evaluate("document.documentElement.scrollWidth")), page.url()).toBeLessThanOrEqual(width);
}

describe("every console page", { timeout: 180_000 }, () => {
  for (const viewport of [WIDE, NARROW]) {
    test(`at ${viewport.width} px: login, the member's pages, 'Not allowed', and the admin's pages are clean and saved as screenshots`, async () => {
      const w = viewport.width;
      for (const [role, who, pages] of [
        ["member", t.member, MEMBER_PAGES],
        ["admin", admin, ADMIN_PAGES],
      ] as const) {
        const context = await newContext(browser, t.httpUrl, viewport);
        const page = await context.newPage();
        const watch = watchPage(page);
        watch.expectFailedLoad("/console/api/session", 401);
        await page.goto(`${t.httpUrl}/console/login`);
        await page.getByRole("heading", { name: "Log in" }).waitFor();
        if (role === "member") await screenshot(page, `login-${w}`);
        await logInThroughPage(page, t.httpUrl, who.email, who.password);
        for (const p of pages) {
          await page.getByRole("navigation").getByRole("link", { name: p.link, exact: true }).click();
          await page.getByRole("heading", { name: p.heading, level: 1 }).waitFor();
          await page.locator(p.ready).first().waitFor();
          expect(await page.getByRole("navigation").getByRole("link", { name: p.link, exact: true }).getAttribute("aria-current")).toBe("page");
          await noSidewaysScroll(page, w);
          await screenshot(page, `${role}-${p.name}-${w}`);
        }
        if (role === "member") {
          watch.expectFailedLoad("/v1/admin/users", 403);
          await page.goto(`${t.httpUrl}/console/admin/users`);
          await page.getByRole("heading", { name: "Not allowed" }).waitFor();
          await screenshot(page, `member-not-allowed-${w}`);
          // The key dialog, with a key made for the picture.
          await page.getByRole("navigation").getByRole("link", { name: "Keys", exact: true }).click();
          await page.getByLabel("Name", { exact: true }).fill("screenshot key");
          await page.getByRole("button", { name: "Create key" }).click();
          await page.getByRole("dialog").waitFor();
          await noSidewaysScroll(page, w);
          await screenshot(page, `member-new-key-dialog-${w}`);
          await page.getByRole("dialog").getByRole("button", { name: /I have copied it/ }).click();
        }
        expectConsoleHeaders(watch);
        expect(await watch.problems()).toEqual([]);
        await context.close();
      }
    });
  }

  test("keyboard only: the skip link comes first, focus is always visible, and every field has a label", async () => {
    const context = await newContext(browser, t.httpUrl);
    const page = await context.newPage();
    const watch = watchPage(page);
    watch.expectFailedLoad("/console/api/session", 401);
    await logInThroughPage(page, t.httpUrl, t.member.email, t.member.password);
    await page.locator("table.keys").waitFor();
    await page.evaluate("document.activeElement && document.activeElement.blur()");

    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
    const focusRing = "(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()";
    expect(await page.evaluate(focusRing)).toBe(true);
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");

    // Tabbing on through the page: every stop shows a focus ring.
    const seen: string[] = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press("Tab");
      const tag = String(await page.evaluate("document.activeElement.tagName + ':' + (document.activeElement.getAttribute('aria-label') || document.activeElement.id || document.activeElement.textContent.slice(0, 30))"));
      // Past the last control focus leaves the document: the walk is done.
      if (tag.startsWith("BODY:")) break;
      seen.push(tag);
      expect(await page.evaluate(focusRing), seen.join(" | ")).toBe(true);
    }
    expect(seen).toContain("INPUT:key-name");
    expect(seen).toContain("BUTTON:Create key");

    // Navigation by keyboard: focus a nav link and press Enter.
    await page.getByRole("navigation").getByRole("link", { name: "Usage", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();

    for (const path of ["keys", "usage", "limits", "stored"]) {
      await page.goto(`${t.httpUrl}/console/${path}`);
      await page.locator("main h1").waitFor();
      await page.waitForLoadState("networkidle");
      const unlabelled = String(
        await page.evaluate(
          "JSON.stringify([...document.querySelectorAll('input, select, textarea')].filter((e) => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML))",
        ),
      );
      expect(unlabelled, path).toBe("[]");
    }
    expect(await watch.problems()).toEqual([]);
    await context.close();
  });
});
