// AIK_CONSOLE and AIK_CONSOLE_DIR in the typed config, and the console's address in the zero-config banner.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/reader.js";
import { banner } from "../../src/wiring/banner.js";
import { startTestGateway } from "../support/gateway.js";
import { call } from "./browser.js";

describe("console settings", () => {
  it("default: on, serving <package root>/dist/console", () => {
    const c = loadConfig({});
    expect(c.console.enabled).toBe(true);
    expect(c.console.dir).toBe(join(process.cwd(), "dist", "console"));
    expect(existsSync(join(c.console.dir, "..", "..", "package.json"))).toBe(true);
  });

  it("AIK_CONSOLE=off turns it off; AIK_CONSOLE_DIR names the build, made absolute", () => {
    expect(loadConfig({ AIK_CONSOLE: "off" }).console.enabled).toBe(false);
    expect(loadConfig({ AIK_CONSOLE: "on" }).console.enabled).toBe(true);
    const dir = loadConfig({ AIK_CONSOLE_DIR: "some/build" }).console.dir;
    expect(isAbsolute(dir)).toBe(true);
    expect(dir).toBe(resolve("some/build"));
  });

  it("anything but on or off is refused, naming the variable", () => {
    expect(() => loadConfig({ AIK_CONSOLE: "yes" })).toThrow(ConfigError);
    expect(() => loadConfig({ AIK_CONSOLE: "yes" })).toThrow('AIK_CONSOLE must be "on" or "off".');
  });
});

describe("the banner", () => {
  it("names the console's address, and says when it is not built; nothing when it is off", async () => {
    const unbuilt = await startTestGateway();
    const off = await startTestGateway({ console: { enabled: false, dir: "/nowhere" } });
    try {
      expect(banner(unbuilt.gw, "/data")).toContain(`  Console  ${unbuilt.httpUrl}/console   (not built: run npm run build)`);
      expect(banner(off.gw, "/data")).not.toMatch(/Console/);
    } finally {
      await unbuilt.close();
      await off.close();
    }
  });

  it("npm start in zero-config mode prints the console's address, which serves the console", async () => {
    const build = mkdtempSync(join(tmpdir(), "aik-console-banner-"));
    mkdirSync(join(build, "assets"));
    writeFileSync(join(build, "index.html"), "<!doctype html><title>AI-K</title>");
    const child = spawn(process.execPath, ["--import", "tsx", resolve("src/main.ts")], {
      env: {
        ...process.env,
        AIK_HTTP_PORT: "0",
        AIK_GRPC_PORT: "0",
        AIK_CONFIG: "",
        AZURE_OPENAI_ENDPOINT: "",
        DATABASE_URL: "",
        REDIS_URL: "",
        AIK_ADMIN_TOKEN: "",
        AIK_DATA_DIR: mkdtempSync(join(tmpdir(), "aik-zero-console-")),
        AIK_CONSOLE_DIR: build,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let stderr = "";
      const text = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no banner within 60 s:\n${stderr}`)), 60_000);
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          if (/^\s*Try:\s+curl .*$/m.test(stderr)) {
            clearTimeout(timer);
            done(stderr);
          }
        });
        child.on("exit", (code) => fail(new Error(`exited with ${code}:\n${stderr}`)));
      });
      const url = /^ {2}Console {2}(http:\/\/127\.0\.0\.1:\d+\/console) {3}\(log in with an email and password\)$/m.exec(text)?.[1];
      expect(url).toBeDefined();
      const page = await call(url ?? "");
      expect(page.status).toBe(200);
      expect(page.text).toContain("<title>AI-K</title>");
    } finally {
      await new Promise((done) => {
        if (child.exitCode !== null) return done(undefined);
        child.once("exit", done);
        child.kill("SIGTERM");
      });
    }
  }, 90_000);
});
