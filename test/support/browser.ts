// Debian's Chromium driven by playwright-core for the console tests: one browser per file, failing loudly when it is missing, every page watched for errors, CSP violations and its /console responses' headers.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** The CSP every /console response must carry (the console contract). */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const SCREENSHOT_DIR = resolve("test-output/console");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The console's browser tests need Chromium at ${CHROMIUM}, and it is missing: run scripts/system-packages.sh (apt-get install chromium).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

export const WIDE = { width: 1440, height: 900 } as const;
export const NARROW = { width: 375, height: 812 } as const;

/** A fresh profile (no cookies), able to use the clipboard on the gateway's origin. */
export async function newContext(browser: Browser, origin: string, viewport: { width: number; height: number } = WIDE): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  // Well under the test's own timeout, so a missing element fails with Playwright's message naming it.
  context.setDefaultTimeout(15_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  // Runs before the page's own scripts on every document; CDP-injected, so the page's CSP does not apply to it.
  await context.addInitScript(
    "window.__aikCsp = []; document.addEventListener('securitypolicyviolation', (e) => window.__aikCsp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));",
  );
  return context;
}

export interface ConsoleResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PageWatch {
  /** Every response to a /console URL this page received. */
  readonly consoleResponses: readonly ConsoleResponse[];
  /** A failed load the test provokes on purpose (a refused API call): its console line is expected. */
  expectFailedLoad(path: string, status: number): void;
  /** Page errors, console errors that were not expected, requests to other origins and CSP violations, as lines; empty when clean. */
  problems(): Promise<string[]>;
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3})/;

export function watchPage(page: Page): PageWatch {
  const consoleResponses: ConsoleResponse[] = [];
  const logged: string[] = [];
  const expected: { path: string; status: number }[] = [];
  page.on("pageerror", (e) => logged.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    const failed = FAILED_LOAD.exec(m.text());
    if (failed) {
      const path = new URL(m.location().url).pathname;
      if (expected.some((x) => x.status === Number(failed[1]) && x.path === path)) return;
    }
    logged.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
  // Everything the console needs comes from the gateway itself: a request elsewhere (a CDN, a font host) is a problem.
  page.on("request", (r) => {
    const url = new URL(r.url());
    const here = page.url() === "about:blank" ? undefined : new URL(page.url()).origin;
    if (here !== undefined && url.protocol.startsWith("http") && url.origin !== here) logged.push(`request to another origin: ${r.url()}`);
  });
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/console")) consoleResponses.push({ url: r.url(), status: r.status(), headers: r.headers() });
  });
  return {
    consoleResponses,
    expectFailedLoad: (path, status) => expected.push({ path, status }),
    problems: async () => {
      const raw: unknown = JSON.parse(String(await page.evaluate("JSON.stringify(window.__aikCsp ?? [])")));
      const csp = Array.isArray(raw) ? raw.map((v) => `CSP violation: ${String(v)}`) : ["CSP violations could not be read"];
      return [...logged, ...csp];
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Logs in through the login form and waits for the keys page. */
export async function logInThroughPage(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
}

/** The page's whole text and every form field's value: where a secret must not be. */
export async function everythingOnPage(page: Page): Promise<string> {
  const html = await page.content();
  const values = String(await page.evaluate("JSON.stringify([...document.querySelectorAll('input, textarea, select')].map((e) => e.value))"));
  const storage = String(await page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"));
  return `${html}\n${values}\n${storage}`;
}
