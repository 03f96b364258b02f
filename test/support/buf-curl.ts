// Runs `buf curl` (from @bufbuild/buf) from an empty directory: the server's reflection is all it has.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BUF = resolve("node_modules/.bin/buf");
const EMPTY_DIR = mkdtempSync(join(tmpdir(), "aik-bufcurl-"));

export async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    cwd: EMPTY_DIR,
    env: { ...process.env, BUF_CACHE_DIR: join(EMPTY_DIR, "cache") },
    timeout: 20_000,
  });
  return stdout;
}
