// The Teams page in a real browser: an admin creates a team and makes a member its owner; the owner sees only that team, creates a team key, adds and removes a plain member, and reads the team's usage; a plain member sees the team read-only.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { NARROW, launchChromium, logInThroughPage, newContext, screenshot, watchPage, type PageWatch } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let browser: Browser;
let admin: Provisioned;
let owner: Provisioned;
let plain: Provisioned;
const suffix = Math.random().toString(36).slice(2, 8);
const TEAM = `Platform ${suffix}`;
const OTHER = `Research ${suffix}`;
let teamId = "";
let otherId = "";
let ownerKeyId = "";
let ownerSecret = "";

const opened: BrowserContext[] = [];

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  t = await startTestGateway({ console: { enabled: true, dir } });
  [admin, owner, plain] = await Promise.all([provisionUser(t.httpUrl, t.adminToken, "admin"), provisionUser(t.httpUrl, t.adminToken, "member"), provisionUser(t.httpUrl, t.adminToken, "member")]);
  // A team the owner is not in: it must stay out of their sight.
  const other = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: OTHER });
  if (other.status !== 200) throw new Error(`CreateTeam failed: ${other.status} ${JSON.stringify(other.json)}`);
  otherId = other.json.team.id;
});

afterAll(async () => {
  for (const c of opened) await c.close();
  await browser?.close();
  await t?.close();
});

async function loggedIn(who: Provisioned): Promise<{ page: Page; watch: PageWatch }> {
  const context = await newContext(browser, t.httpUrl);
  opened.push(context);
  const page = await context.newPage();
  const watch = watchPage(page);
  watch.expectFailedLoad("/console/api/session", 401);
  await logInThroughPage(page, t.httpUrl, who.email, who.password);
  await page.getByRole("navigation").getByRole("link", { name: "Teams", exact: true }).click();
  await page.getByRole("heading", { name: "Teams", level: 1 }).waitFor();
  return { page, watch };
}

/** The names in the Teams list, once it has loaded (the page's heading shows before the list arrives). */
async function teamNames(page: Page): Promise<string[]> {
  const names = page.locator("table.teams td.name");
  await names.first().waitFor();
  return names.allInnerTexts();
}

async function openTeam(page: Page, name: string): Promise<void> {
  await page.locator("table.teams").getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
}

function memberRow(page: Page, text: string) {
  return page.locator("table.team-members tbody tr").filter({ has: page.locator("td.name", { hasText: text }) });
}

function keyRow(page: Page, name: string) {
  return page.locator("table.team-keys tbody tr").filter({ has: page.locator("td.name", { hasText: name }) });
}

describe("the Teams page", { timeout: 120_000 }, () => {
  test("an admin creates a team with a budget, makes a member its owner from the user list, and edits its limits", async () => {
    const { page, watch } = await loggedIn(admin);
    await page.locator("table.teams").waitFor();
    await page.getByLabel("Team name").fill(TEAM);
    await page.getByLabel("Requests per minute").fill("600");
    await page.getByLabel("Monthly budget (USD)").fill("50");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByText(`Team “${TEAM}” is created.`).waitFor();
    // The admin sees every team.
    expect((await teamNames(page)).sort()).toEqual([OTHER, TEAM].sort());
    teamId = (await page.locator("table.teams tbody tr", { hasText: TEAM }).getAttribute("data-team-id")) ?? "";
    expect(teamId).not.toBe("");

    await openTeam(page, TEAM);
    expect(await page.locator(".lede").innerText()).toMatch(/600 requests\/min · \$50(\.0+)?\/month/);
    await page.getByLabel("User", { exact: true }).selectOption({ label: owner.email });
    await page.getByLabel("Role in the team").selectOption("owner");
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByText(`${owner.email} is now an owner of “${TEAM}”.`).waitFor();
    expect(await page.getByLabel(`Role of ${owner.email}`).inputValue()).toBe("owner");
    const got = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/teams/${teamId}`);
    expect(got.json.members).toEqual([expect.objectContaining({ user_id: owner.userId, role: "TEAM_ROLE_OWNER" })]);

    await page.getByRole("button", { name: "Edit team" }).click();
    const dialog = page.getByRole("dialog", { name: `Edit team ${TEAM}` });
    await dialog.getByLabel("Monthly budget (USD)").fill("100");
    await dialog.getByLabel("Requests per minute").fill("");
    await dialog.getByRole("button", { name: "Save team" }).click();
    await page.getByText(`Team “${TEAM}” is saved.`).waitFor();
    expect(await page.locator(".lede").innerText()).toMatch(/Team limits: \$100(\.0+)?\/month\./);
    await screenshot(page, "admin-team-1440");
    // At 375 px the page reads without sideways scrolling (wide tables scroll inside their frame).
    await page.setViewportSize(NARROW);
    expect(Number(await page.evaluate("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(NARROW.width);
    await screenshot(page, "admin-team-375");
    const saved = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/teams/${teamId}`);
    expect(saved.json.team.limits.requests_per_minute).toBeUndefined();
    expect(Number(saved.json.team.limits.monthly_budget_usd)).toBe(100);
    expect(await watch.problems()).toEqual([]);
  });

  test("the owner sees only their team, creates a team key shown once, and finds it listed and working", async () => {
    if (teamId === "") throw new Error("the admin test did not run");
    const { page, watch } = await loggedIn(owner);
    expect(await teamNames(page)).toEqual([TEAM]);
    expect(await page.content()).not.toContain(OTHER);

    await openTeam(page, TEAM);
    expect(await page.locator(".lede").innerText()).toContain("You own this team");
    expect(await page.getByRole("button", { name: "Edit team" }).count()).toBe(0);
    await page.getByLabel("Key name").fill("owner team key");
    await page.getByRole("button", { name: "Create team key" }).click();
    const dialog = page.getByRole("dialog", { name: "Your new key “owner team key”" });
    await dialog.waitFor();
    ownerSecret = (await dialog.locator("#new-key-secret").textContent())?.trim() ?? "";
    expect(ownerSecret).toMatch(/^aik_[0-9A-Za-z]{49}$/);
    await dialog.getByRole("button", { name: /I have copied it/ }).click();
    // A closed <dialog> leaves the accessibility tree (what the role locator sees) a render before it leaves the DOM: wait for the secret's element itself.
    await page.locator("#new-key-secret").waitFor({ state: "detached" });

    const row = keyRow(page, "owner team key");
    await row.waitFor();
    ownerKeyId = (await row.getAttribute("data-key-id")) ?? "";
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[1]).toBe(`${ownerSecret.slice(0, 10)}…`);
    expect(cells[2]).toBe(`${owner.email} (you)`);
    expect(cells[7]).toBe("active");
    expect(await page.content()).not.toContain(ownerSecret);
    // It is a team key of this team, held by the owner, and it works.
    const listed = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?team_id=${teamId}`);
    expect(listed.json.api_keys).toEqual([expect.objectContaining({ id: ownerKeyId, user_id: owner.userId, team_id: teamId })]);
    const answer = await gatewaySdk({ httpUrl: t.httpUrl, apiKey: ownerSecret }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hello from a team" }] });
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);

    // A call with the owner's own key of no team: theirs, but not the team's.
    await gatewaySdk({ httpUrl: t.httpUrl, apiKey: owner.apiKey }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hello on my own" }] });

    // The team's usage this month shows the team call, and only it, against the budget, once metered.
    await until("both calls are metered", async () => (await storedRecords(t.databaseUrl, { keyIds: [ownerKeyId, owner.keyId] })).length === 2);
    await page.getByRole("button", { name: "Refresh usage" }).click();
    const usageRow = page.locator("table.team-usage tbody tr", { hasText: "owner team key" });
    await usageRow.waitFor();
    expect((await usageRow.locator("td").allInnerTexts())[1]).toBe("1");
    expect(await page.locator("table.team-usage tbody tr").count()).toBe(1);
    expect((await page.locator("table.team-usage tfoot td").allInnerTexts())[0]).toBe("1");
    expect(await page.locator("#team-budget").innerText()).toMatch(/of \$100/);
    expect(await page.locator("#team-budget meter").count()).toBe(1);
    await screenshot(page, "owner-team-1440");

    // Another team, asked for by its id, is not shown: no name, no members, no keys.
    watch.expectFailedLoad(`/v1/admin/teams/${otherId}`, 403);
    await page.goto(`${t.httpUrl}/console/teams?team_id=${otherId}`);
    await page.locator("section.not-allowed").getByRole("heading", { name: "Not allowed" }).waitFor();
    expect(await page.content()).not.toContain(OTHER);
    expect(await page.locator("table.team-members, table.team-keys").count()).toBe(0);
    expect(await watch.problems()).toEqual([]);
  });

  test("the owner adds a plain member by user id; the member sees the team read-only but for their own team keys; removing them after a confirmation revokes their team keys", async () => {
    if (ownerKeyId === "") throw new Error("the owner test did not run");
    const { page: ownerPage, watch: ownerWatch } = await loggedIn(owner);
    await openTeam(ownerPage, TEAM);
    await ownerPage.getByLabel("User id").fill(plain.userId);
    await ownerPage.getByRole("button", { name: "Add member" }).click();
    await ownerPage.getByText(`is now a member of “${TEAM}”.`).waitFor();
    // An owner cannot list users, so the new member reads by id.
    await memberRow(ownerPage, plain.userId).waitFor();

    const { page, watch } = await loggedIn(plain);
    expect(await teamNames(page)).toEqual([TEAM]);
    await openTeam(page, TEAM);
    expect(await page.locator(".lede").innerText()).toContain("You are a member of this team");
    // Read-only: roles as text, no role pickers, no remove buttons, no add form, no usage.
    expect(await page.locator("table.team-members select").count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Add a member" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Usage this month" }).count()).toBe(0);
    expect(await memberRow(page, owner.userId).locator("td").nth(1).innerText()).toBe("owner");
    // Their own team keys only: the owner's key is not listed.
    await page.getByRole("heading", { name: "Your team keys" }).waitFor();
    expect(await page.locator("table.team-keys").count()).toBe(0);
    await page.getByLabel("Key name").fill("plain team key");
    await page.getByRole("button", { name: "Create team key" }).click();
    const dialog = page.getByRole("dialog", { name: "Your new key “plain team key”" });
    const plainSecret = (await dialog.locator("#new-key-secret").textContent())?.trim() ?? "";
    await dialog.getByRole("button", { name: /I have copied it/ }).click();
    const plainKey = keyRow(page, "plain team key");
    await plainKey.waitFor();
    expect(await page.locator("table.team-keys tbody tr").count()).toBe(1);
    expect((await plainKey.locator("td").allInnerTexts())[2]).toBe(`${plain.email} (you)`);
    const plainKeyId = (await plainKey.getAttribute("data-key-id")) ?? "";
    expect(await watch.problems()).toEqual([]);
    await gatewaySdk({ httpUrl: t.httpUrl, apiKey: plainSecret }).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello from a member" }] });
    await until("the member's call is metered", async () => (await storedRecords(t.databaseUrl, { keyIds: [plainKeyId] })).length === 1);

    // The owner sees both keys and the member's usage in the team's; removing the member asks first (Cancel keeps them), then revokes their key.
    await ownerPage.reload();
    await keyRow(ownerPage, "plain team key").waitFor();
    await ownerPage.locator("table.team-usage tbody tr", { hasText: "plain team key" }).waitFor();
    expect((await ownerPage.locator("table.team-usage tfoot td").allInnerTexts())[0]).toBe("2");
    await ownerPage.getByRole("button", { name: `Remove ${plain.userId}` }).click();
    const confirm = ownerPage.getByRole("dialog", { name: "Remove this member?" });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await memberRow(ownerPage, plain.userId).count()).toBe(1);
    await ownerPage.getByRole("button", { name: `Remove ${plain.userId}` }).click();
    await confirm.getByRole("button", { name: "Remove member" }).click();
    await ownerPage.getByText("is no longer in").waitFor();
    expect(await memberRow(ownerPage, plain.userId).count()).toBe(0);
    expect(await keyRow(ownerPage, "plain team key").locator("td").nth(7).innerText()).toBe("revoked");
    expect(await keyRow(ownerPage, "owner team key").locator("td").nth(7).innerText()).toBe("active");
    expect(await ownerWatch.problems()).toEqual([]);
  });
});
