// `npm start` with nothing configured: emulator banner, a first API key shown once, a curl line that works as printed.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), "aik-zero-"));

/** Starts `src/main.ts` with an empty environment for AI-K; resolves with its banner once the curl line is out. */
async function start(): Promise<{ banner: string; stop(): Promise<number | null> }> {
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
      AIK_DATA_DIR: dataDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const banner = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no curl line within 60 s:\n${stderr}`)), 60_000);
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/^\s*Try:\s+curl .*$/m.test(stderr)) {
        clearTimeout(timer);
        done(stderr);
      }
    });
    child.on("exit", (code) => fail(new Error(`exited with ${code}:\n${stderr}`)));
  });
  return {
    banner,
    stop: () =>
      new Promise((done) => {
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

describe("zero-config start", () => {
  it("first start: the emulator, an admin and a key shown once, and a curl line that works as printed", async () => {
    const g = await start();
    try {
      expect(g.banner).toMatch(/BUILT-IN AZURE OPENAI EMULATOR/);
      expect(g.banner).toMatch(/API key\s+aik_[0-9A-Za-z]{49}/);
      const curl = /^\s*Try:\s+(curl .*)$/m.exec(g.banner)?.[1] ?? "";
      const { stdout } = await run("bash", ["-c", curl], { timeout: 10_000 });
      const answer = JSON.parse(stdout);
      expect(answer.object).toBe("chat.completion");
      expect(answer.choices[0].message.content.length).toBeGreaterThan(0);
    } finally {
      expect(await g.stop()).toBe(0);
    }
  });

  it("a restart on the same store shows no secret again", async () => {
    const g = await start();
    try {
      expect(g.banner).not.toMatch(/aik_[0-9A-Za-z]{49}/);
      expect(g.banner).toMatch(/<your API key>/);
    } finally {
      expect(await g.stop()).toBe(0);
    }
  });
});
