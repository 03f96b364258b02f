// Reads the console's settings: AIK_CONSOLE (on|off) and AIK_CONSOLE_DIR (default <package root>/dist/console).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { envOneOf } from "./reader.js";

export interface ConsoleSettings {
  /** off: every /console path is a 404 like any unknown route. */
  readonly enabled: boolean;
  /** The built console: index.html and assets/ (what `npm run build` writes). */
  readonly dir: string;
}

export function readConsole(env: NodeJS.ProcessEnv): ConsoleSettings {
  const enabled = envOneOf(env, "AIK_CONSOLE", ["on", "off"], "on") === "on";
  const dir = env.AIK_CONSOLE_DIR ? resolve(env.AIK_CONSOLE_DIR) : join(packageRoot(), "dist", "console");
  return { enabled, dir };
}

/** The directory holding package.json, whether this runs from src/ (tests, tsx) or dist/src/ (npm start). */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}
