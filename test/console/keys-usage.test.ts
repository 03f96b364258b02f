// A member's key through the console in a real browser: created and shown once, copied, used, seen in the usage charts, table and CSV, in limits and "what we store", then revoked.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { everythingOnPage, launchChromium, logInThroughPage, newContext, watchPage, type PageWatch } from "../support/browser.js";
import { buildConsole } from "../support/console-build.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;
let member: Provisioned;

const KEY_NAME = "console test key";
let secret = "";
let keyId = "";
let usage: { prompt: number; completion: number; costMicroUsd: number } | undefined;

beforeAll(async () => {
  const dir = await buildConsole();
  browser = await launchChromium();
  t = await startTestGateway({ console: { enabled: true, dir } });
  // A member of this file's own: the page lists exactly the keys made here.
  member = await provisionUser(t.httpUrl, t.adminToken, "member");
  context = await newContext(browser, t.httpUrl);
  page = await context.newPage();
  watch = watchPage(page);
  watch.expectFailedLoad("/console/api/session", 401);
  await logInThroughPage(page, t.httpUrl, member.email, member.password);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await t?.close();
});

const digits = (s: string): string => s.replace(/[,$\s]/g, "");

async function keyRow(name: string) {
  const row = page.locator("table.keys tbody tr").filter({ has: page.locator("td.name", { hasText: name }) });
  await row.first().waitFor();
  return row.first();
}

describe("keys and usage in the console", { timeout: 120_000 }, () => {
  test("create a key: the secret is shown once, copied, works against /v1/chat/completions, and is nowhere in the page after the dialog closes or a reload", async () => {
    await page.getByLabel("Name", { exact: true }).fill(KEY_NAME);
    await page.getByLabel("Allowed models").fill("gpt-4o, gpt-4o-mini");
    await page.getByLabel("Requests per minute").fill("600");
    await page.getByLabel("Monthly budget (USD)").fill("25.00");
    await page.getByRole("button", { name: "Create key" }).click();

    const dialog = page.getByRole("dialog", { name: `Your new key “${KEY_NAME}”` });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain("It cannot be shown again");
    secret = (await dialog.locator("#new-key-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^aik_[0-9A-Za-z]{49}$/);

    await dialog.getByRole("button", { name: "Copy key" }).click();
    await dialog.getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);

    // The copied key is a working key.
    const answer = await gatewaySdk({ httpUrl: t.httpUrl, apiKey: secret }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hello from the console test" }] });
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);

    await dialog.getByRole("button", { name: /I have copied it/ }).click();
    // A closed <dialog> leaves the accessibility tree (what the role locator sees) a render before it leaves the DOM: wait for the secret's element itself.
    await page.locator("#new-key-secret").waitFor({ state: "detached" });
    const row = await keyRow(KEY_NAME);
    keyId = (await row.getAttribute("data-key-id")) ?? "";
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[1]).toBe(`${secret.slice(0, 10)}…`);
    expect(cells[2]).toBe("gpt-4o, gpt-4o-mini");
    expect(cells[3]).toContain("600 requests/min");
    expect(cells[3]).toContain("$25.00/month");
    expect(cells[6]).toBe("never");
    expect(cells[7]).toBe("active");

    expect(await everythingOnPage(page)).not.toContain(secret);
    await page.reload();
    await keyRow(KEY_NAME);
    expect(await everythingOnPage(page)).not.toContain(secret);

    const records = await storedRecordsFor(keyId);
    usage = { prompt: answer.usage?.prompt_tokens ?? -1, completion: answer.usage?.completion_tokens ?? -1, costMicroUsd: records[0]?.cost_micro_usd ?? -1 };
    expect(usage.costMicroUsd).toBeGreaterThan(0);
    expect(await watch.problems()).toEqual([]);
  });

  test("the usage charts and table show that call's tokens and cost once metered, and the CSV download matches the table", async () => {
    if (!usage) throw new Error("the key test did not run");
    await page.getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    const row = page.locator("table.usage tbody tr").filter({ hasText: KEY_NAME });
    await row.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const cells = (await row.locator("td").allInnerTexts()).map((c) => c.trim());
    const cost = (usage.costMicroUsd / 1e6).toFixed(6);
    expect(cells).toEqual([today, "gpt-4o", `${KEY_NAME} (${secret.slice(0, 10)}…)`, "1", String(usage.prompt), "0", String(usage.completion), "0", `$${cost}`].map((c) => (/^\d+$/.test(c) ? Number(c).toLocaleString("en-US") : c)));

    // The charts: their legends show today's values for the pointer on today's bar.
    const costChart = page.locator("#cost-chart");
    const over = costChart.locator(".u-over");
    const box = await over.boundingBox();
    if (!box) throw new Error("the cost chart has no plotting area");
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    expect(await legend(costChart)).toEqual(["Day=" + today, `gpt-4o=$${(usage.costMicroUsd / 1e6).toPrecision(2)}`]);
    expect(await costChart.locator("figcaption").innerText()).toContain(`$${cost}`);
    const tokenChart = page.locator("#token-chart");
    const tokenBox = await tokenChart.locator(".u-over").boundingBox();
    if (!tokenBox) throw new Error("the token chart has no plotting area");
    await page.mouse.move(tokenBox.x + tokenBox.width - 2, tokenBox.y + tokenBox.height / 2);
    expect(await legend(tokenChart)).toEqual(["Day=" + today, `Prompt=${usage.prompt.toLocaleString("en-US")}`, "Cached=0", `Completion=${usage.completion.toLocaleString("en-US")}`, "Reasoning=0"]);

    // The CSV is the API's own answer; each of its rows is a row of the table, and its total the table's total.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    const csv = await readFile(await download.path(), "utf8");
    const lines = csv.trim().split(/\r?\n/).map((l) => l.split(","));
    expect(lines[0]).toEqual(["day", "model", "key_id", "user_id", "deployment_id", "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_usd", "team_id"]);
    const data = lines.slice(1, -1);
    const tableRows = await page.locator("table.usage tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((c) => (c.textContent ?? "").trim())));
    expect(data.length).toBe(tableRows.length);
    for (const [day, model, key, , , requests, prompt, cached, completion, reasoning, costUsd, team] of data) {
      expect(team).toBe("");
      expect(key).toBe(keyId);
      const match = tableRows.find((r) => r[0] === day && r[1] === model && r[2]?.startsWith(KEY_NAME));
      expect(match?.slice(3).map(digits)).toEqual([requests, prompt, cached, completion, reasoning, costUsd]);
    }
    const total = lines.at(-1) ?? [];
    expect(total[0]).toBe("total");
    const foot = (await page.locator("table.usage tfoot td").allInnerTexts()).map(digits);
    expect(foot).toEqual(total.slice(5, 11));
    expect(await watch.problems()).toEqual([]);
  });

  test("limits show the key's limits and what it used; 'what we store' shows the record's every column beside the never-stored list", async () => {
    await page.getByRole("link", { name: "Limits" }).click();
    const card = page.locator(`#limits-key-${keyId}`);
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain(KEY_NAME);
    expect(text).toContain("600 requests/min");
    expect(text).toMatch(/Requests this minute\s+\d+ of 600/);
    expect(text).toMatch(/of \$25\.00/);
    expect(await card.locator("meter").count()).toBe(2);

    await page.getByRole("link", { name: "What we store" }).click();
    const columns = page.locator("table.columns tbody tr");
    await columns.first().waitFor();
    const stored = Object.fromEntries((await columns.evaluateAll((rows) => rows.map((r) => [r.querySelector("th")?.textContent ?? "", r.querySelector("td")?.textContent ?? ""]))).map(([k, v]) => [k, v]));
    expect(stored["key_id"]).toBe(keyId);
    expect(stored["model"]).toBe("gpt-4o");
    expect(stored["prompt_tokens"]).toBe(String(usage?.prompt));
    expect(stored["completion_tokens"]).toBe(String(usage?.completion));
    expect(stored["cost_micro_usd"]).toBe(String(usage?.costMicroUsd));
    // The README's table names exactly these columns.
    const readme = await readFile("README.md", "utf8");
    const documented = [...(readme.split("<!-- usage-record:start -->")[1]?.split("<!-- usage-record:end -->")[0] ?? "").matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(Object.keys(stored)).toEqual(documented);
    const never = await page.locator("section.never li").allInnerTexts();
    expect(never.join("\n")).toMatch(/prompt/i);
    expect(never.join("\n")).toMatch(/completion/i);
    // Only counts and money: the prompt the test sent is on no page.
    expect(await page.content()).not.toContain("hello from the console test");
    expect(await watch.problems()).toEqual([]);
  });

  test("revoking the key after a confirmation refuses it at once", async () => {
    await page.getByRole("link", { name: "Keys" }).click();
    const row = await keyRow(KEY_NAME);
    await row.getByRole("button", { name: `Revoke key ${KEY_NAME}` }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke this key?" });
    await confirm.waitFor();
    // Escape cancels: nothing is revoked.
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    expect((await row.locator("td").allInnerTexts())[7]).toBe("active");

    await row.getByRole("button", { name: `Revoke key ${KEY_NAME}` }).click();
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await page.getByText(`Key “${KEY_NAME}” is revoked`).waitFor();
    await page.locator("table.keys tbody tr", { hasText: "revoked" }).filter({ hasText: KEY_NAME }).waitFor();
    const refused = await gatewaySdk({ httpUrl: t.httpUrl, apiKey: secret })
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "again" }] })
      .then(
        () => 200,
        (e: unknown) => (e instanceof Error && "status" in e ? Number(e.status) : -1),
      );
    expect(refused).toBe(401);
    expect(await watch.problems()).toEqual([]);
  });

  test("over-long names are refused with a clear message and nothing is created; markup in a name is shown as text and never runs", async () => {
    const count = async (): Promise<number> => (await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${member.userId}&include_revoked=true`)).json.api_keys.length;
    const before = await count();
    watch.expectFailedLoad("/v1/admin/api-keys", 400);
    await page.getByLabel("Name", { exact: true }).fill("n".repeat(300));
    await page.getByRole("button", { name: "Create key" }).click();
    const error = page.locator("form p.error[role=alert]");
    await error.waitFor();
    const message = await error.innerText();
    expect(message).toMatch(/name/i);
    expect(message).not.toMatch(/[{}]/);
    expect(await count()).toBe(before);

    const markup = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;
    await page.getByLabel("Name", { exact: true }).fill(markup);
    await page.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.getByRole("heading").innerText()).toBe(`Your new key “${markup}”`);
    await dialog.getByRole("button", { name: /I have copied it/ }).click();
    const row = page.locator("table.keys tbody tr").filter({ has: page.locator("td.name", { hasText: "<script>" }) });
    expect(await row.locator("td.name").innerText()).toBe(markup);
    expect(await page.locator("table.keys script, table.keys img").count()).toBe(0);
    expect(await page.evaluate("window.__pwned === undefined")).toBe(true);
    await page.reload();
    await row.waitFor();
    expect(await page.evaluate("window.__pwned === undefined")).toBe(true);
    expect(await watch.problems()).toEqual([]);
  });
});

/** A uPlot legend as "label=value" lines, in its order. */
async function legend(chart: Locator): Promise<string[]> {
  return chart.locator(".u-legend tr").evaluateAll((rows) => rows.map((r) => `${(r.querySelector(".u-label")?.textContent ?? "").trim()}=${(r.querySelector(".u-value")?.textContent ?? "").trim()}`));
}

async function storedRecordsFor(id: string) {
  let records: Awaited<ReturnType<typeof storedRecords>> = [];
  await until("the call is metered", async () => {
    records = await storedRecords(t.databaseUrl, { keyIds: [id] });
    return records.length > 0;
  });
  return records;
}
