// One process per embedded data directory: PGlite takes no lock of its own, and two processes writing one directory corrupt it.
import { readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

export interface DataDirLock {
  release(): Promise<void>;
}

// A second open from this very process would find its own pid in the file and must not take it for stale.
const heldHere = new Set<string>();

/**
 * Takes `<dataDir>.lock`, holding this process's pid. A lock left by a process that is gone
 * (a crash, or an earlier container whose pid we now have) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = `${resolve(dataDir)}.lock`;
  if (heldHere.has(path)) {
    throw new Error(`The embedded database in ${dataDir} is already open in this process: open it once and share the Database.`);
  }
  if (!(await tryCreate(path))) {
    const holder = await readHolder(path);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${holder}. ` +
          "Embedded Postgres serves one process per data directory: stop that process, choose another data directory, or set DATABASE_URL to share a real Postgres.",
      );
    }
    await rm(path, { force: true });
    if (!(await tryCreate(path))) throw new Error(`Another process took ${path} while a stale lock was being cleared; try again.`);
  }
  heldHere.add(path);
  return {
    async release() {
      if (!heldHere.delete(path)) return;
      await rm(path, { force: true });
    },
  };
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
    return true;
  } catch (e) {
    if (hasCode(e, "EEXIST")) return false;
    throw e;
  }
}

async function readHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, "utf8")).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (e) {
    if (hasCode(e, "ENOENT")) return undefined;
    throw e;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else, so it still holds the directory.
    return hasCode(e, "EPERM");
  }
}

function hasCode(e: unknown, code: string): boolean {
  return e instanceof Error && "code" in e && e.code === code;
}
