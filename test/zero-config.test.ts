// `npm start` with nothing configured: the emulator banner, and a curl line that works exactly as printed.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("zero-config start", () => {
  it("starts the emulator in-process, says so, and prints a working curl line", async () => {
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
        AIK_DATA_DIR: mkdtempSync(join(tmpdir(), "aik-zero-")),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let stderr = "";
      const curl = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no curl line within 60 s:\n${stderr}`)), 60_000);
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          const line = /^\s*Try:\s+(curl .*)$/m.exec(stderr)?.[1];
          if (line) {
            clearTimeout(timer);
            done(line);
          }
        });
        child.on("exit", (code) => fail(new Error(`exited with ${code}:\n${stderr}`)));
      });
      expect(stderr).toMatch(/BUILT-IN AZURE OPENAI EMULATOR/);
      const { stdout } = await run("bash", ["-c", curl], { timeout: 10_000 });
      const answer = JSON.parse(stdout);
      expect(answer.object).toBe("chat.completion");
      expect(answer.choices[0].message.content.length).toBeGreaterThan(0);
      const exited = new Promise<number | null>((done) => child.on("exit", done));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
