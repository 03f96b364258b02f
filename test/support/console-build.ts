// Builds the console once per test process (Vite's JS API, into a temp directory) for gateways started with its directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "vite";

let built: Promise<string> | undefined;

/** The directory holding index.html and assets/, the same files `npm run build` writes to dist/console. */
export function buildConsole(): Promise<string> {
  built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), "aik-console-build-"));
    process.once("exit", () => rmSync(outDir, { recursive: true, force: true }));
    await build({ configFile: resolve("console/vite.config.ts"), logLevel: "error", build: { outDir, emptyOutDir: true } });
    return outDir;
  })();
  return built;
}
