// The console's static files: pages and assets with their headers, client routes, traversal attempts, a missing build, AIK_CONSOLE=off.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../../src/transport/http/security-headers.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { call, rawGet, type Answer } from "./browser.js";

const INDEX = "<!doctype html><title>AI-K console</title><script type=module src=/console/assets/index-Ab12_Cd3.js></script>";
const SCRIPT = "console.log('the console');";
const SECRET = "this file lies outside the console build";

/** A tiny build as Vite lays one out, with a file beside it that must never be served and a symlink pointing at it. */
function fixtureBuild(): string {
  const root = mkdtempSync(join(tmpdir(), "aik-console-fixture-"));
  writeFileSync(join(root, "secret.txt"), SECRET);
  const dir = join(root, "build");
  mkdirSync(join(dir, "assets", "nested"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "index-Ab12_Cd3.js"), SCRIPT);
  writeFileSync(join(dir, "assets", "index-Zz98-Yx7.css"), "body{margin:0}");
  writeFileSync(join(dir, "assets", "logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(dir, "assets", "nested", "deep-Ab12_Cd3.js"), SCRIPT);
  writeFileSync(join(dir, "assets", ".hidden"), SECRET);
  symlinkSync(join(root, "secret.txt"), join(dir, "assets", "leak-Ab12_Cd3.js"));
  return dir;
}

function expectConsoleHeaders(a: Answer): void {
  expect(a.headers["content-security-policy"]).toBe(CONSOLE_CSP);
  expect(a.headers["x-content-type-options"]).toBe("nosniff");
  expect(a.headers["x-frame-options"]).toBe("DENY");
  expect(a.headers["referrer-policy"]).toBe("no-referrer");
  expect(a.headers["x-request-id"]).toMatch(/^req_/);
}

/** Writes one request line as given, byte for byte, and resolves with everything the server answers before it closes. */
function rawRequestLine(baseUrl: string, line: string): Promise<string> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) }, () => socket.end(`${line}\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`));
    let out = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (out += d));
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
  });
}

let t: TestGateway;
let dir: string;
beforeAll(async () => {
  dir = fixtureBuild();
  t = await startTestGateway({ console: { enabled: true, dir } });
});
afterAll(() => t.close());

describe("console pages and assets", () => {
  it("serves index.html for the console's root and every client route, never cached", async () => {
    for (const path of ["/console", "/console/", "/console/keys", "/console/admin/users", "/console/usage/2026_11-30~x"]) {
      const a = await call(`${t.httpUrl}${path}`);
      expect(a.status, path).toBe(200);
      expect(a.text).toBe(INDEX);
      expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(a.headers["cache-control"]).toBe("no-store");
      expectConsoleHeaders(a);
    }
  });

  it("serves hashed assets with their type and a year's immutable caching; an unhashed one is not cached", async () => {
    const js = await call(`${t.httpUrl}/console/assets/index-Ab12_Cd3.js`);
    expect(js.status).toBe(200);
    expect(js.text).toBe(SCRIPT);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expectConsoleHeaders(js);
    const css = await call(`${t.httpUrl}/console/assets/index-Zz98-Yx7.css`);
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(css.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const svg = await call(`${t.httpUrl}/console/assets/logo.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers["content-type"]).toBe("image/svg+xml");
    expect(svg.headers["cache-control"]).toBe("no-store");
  });

  it("answers HEAD with the headers and no body; other methods get 405 with the console's headers", async () => {
    const head = await call(`${t.httpUrl}/console/keys`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(INDEX)));
    expectConsoleHeaders(head);
    const post = await call(`${t.httpUrl}/console/keys`, { method: "POST", body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    expect(post.json.error.code).toBe("method_not_allowed");
    expectConsoleHeaders(post);
  });

  it("answers 404 in the gateway's error shape, with the console's headers, for anything else under /console", async () => {
    for (const path of ["/console/index.html", "/console/favicon.ico", "/console/assets/missing-Ab12_Cd3.js", "/console/assets/", "/console/api/nothing", "/console/api"]) {
      const a = await call(`${t.httpUrl}${path}`);
      expect(a.status, path).toBe(404);
      expect(a.json.error.code, path).toBe("not_found");
      expectConsoleHeaders(a);
    }
  });

  it("serves only files inside the build: traversal, encoded slashes and dots, NUL, backslashes, symlinks and subdirectories are 404s", async () => {
    const attempts = [
      "/console/../package.json",
      "/console/assets/../index.html",
      "/console/assets/../../secret.txt",
      "/console/assets/..%2f..%2fsecret.txt",
      "/console/assets/%2e%2e/%2e%2e/secret.txt",
      "/console/%2e%2e/secret.txt",
      "/console/assets/..%5c..%5csecret.txt",
      "/console/assets\\..\\..\\secret.txt",
      "/console/assets/index-Ab12_Cd3.js%00.html",
      "/console/assets/index-Ab12_Cd3.js%2500",
      "/console/assets/.hidden",
      "/console/assets/leak-Ab12_Cd3.js",
      "/console/assets/nested/deep-Ab12_Cd3.js",
      "/console/assets/nested%2fdeep-Ab12_Cd3.js",
      "/console/assets/%2fetc%2fpasswd",
      "/console/assets//etc/passwd",
      "/console/..%2f..%2fsecret.txt",
    ];
    for (const path of attempts) {
      const a = await rawGet(t.httpUrl, path);
      expect(a.status, path).toBe(404);
      expect(a.text, path).not.toContain(SECRET);
      expect(a.text, path).not.toContain("root:");
      expectConsoleHeaders(a);
    }
  });

  it("a raw NUL, tab or space in the request line never reaches a file: the request is refused as malformed", async () => {
    for (const path of ["/console/assets/index-Ab12_Cd3.js\u0000.html", "/console/assets/index-Ab12_Cd3.js\t.html", "/console/assets/ index-Ab12_Cd3.js"]) {
      const answer = await rawRequestLine(t.httpUrl, `GET ${path} HTTP/1.1`);
      expect(answer, JSON.stringify(path)).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(answer).not.toContain(SCRIPT);
    }
  });

  it("the API's own routes keep their own headers: the console's CSP is only on /console", async () => {
    const a = await call(`${t.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(a.status).toBe(200);
    expect(a.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});

describe("a console that is not built, or is switched off", () => {
  it("answers 503 with a plain sentence while no build is there, and serves one as soon as it appears", async () => {
    const empty = mkdtempSync(join(tmpdir(), "aik-console-empty-"));
    const g = await startTestGateway({ console: { enabled: true, dir: empty } });
    try {
      for (const path of ["/console", "/console/keys", "/console/assets/index-Ab12_Cd3.js"]) {
        const a = await call(`${g.httpUrl}${path}`);
        expect(a.status, path).toBe(503);
        expect(a.text).toBe("The console is not built: run npm run build.\n");
        expect(a.headers["content-type"]).toBe("text/plain; charset=utf-8");
        expectConsoleHeaders(a);
      }
      // The gateway itself is unharmed.
      expect((await call(`${g.httpUrl}/healthz`)).status).toBe(200);
      writeFileSync(join(empty, "index.html"), INDEX);
      const built = await call(`${g.httpUrl}/console`);
      expect(built.status).toBe(200);
      expect(built.text).toBe(INDEX);
    } finally {
      await g.close();
    }
  });

  it("AIK_CONSOLE=off: every /console path is a 404 like any unknown route, with the API's headers", async () => {
    const g = await startTestGateway({ console: { enabled: false, dir } });
    try {
      for (const path of ["/console", "/console/keys", "/console/assets/index-Ab12_Cd3.js", "/console/api/session"]) {
        const a = await call(`${g.httpUrl}${path}`);
        const unknown = await call(`${g.httpUrl}/no-such-route`);
        expect(a.status, path).toBe(404);
        expect(a.json.error.code).toBe(unknown.json.error.code);
        expect(a.json.error.message).toBe(`No route for GET ${path}.`);
        expect(a.headers["content-security-policy"]).toBe(unknown.headers["content-security-policy"]);
      }
      const login = await call(`${g.httpUrl}/console/api/login`, { method: "POST", body: { email: t.member.email, password: t.member.password } });
      expect(login.status).toBe(404);
      expect(login.headers["set-cookie"]).toBeUndefined();
    } finally {
      await g.close();
    }
  });
});
