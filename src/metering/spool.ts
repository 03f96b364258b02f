// The outage spool: append-only JSON-lines files of usage records (their fields only), fsync'd, read back for replay.
import { createReadStream, closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { mkdir, open, readdir, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { checkRecord, recordJson, type UsageRecord } from "./record.js";

/*
 * Files are named usage-<ms since epoch>-<pid>-<seq>.jsonl, so a listing sorts oldest first.
 * The file being appended to is never handed out for replay: rotate() closes it first, and a
 * new one is opened by the next append. Each line is recordJson(record), exactly the record's
 * fields; nothing else is ever written here. Rows Postgres refuses outright go to
 * rejected-*.jsonl beside them, kept for an operator and never replayed.
 *
 * One spool directory belongs to one process at a time: a second live process would replay
 * the file this one is still writing.
 */
const SPOOL_FILE = /^usage-\d+-\d+-\d+\.jsonl$/;

export interface SpoolBatch {
  readonly records: UsageRecord[];
  /** Lines that were not a valid record (a line torn by a crash mid-write). */
  readonly invalid: number;
}

export class Spool {
  readonly dir: string;
  #current: { handle: FileHandle; name: string } | undefined;
  #seq = 0;
  // Appends, rotation and closing run one after another.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Appends the records to the current file and fsyncs it: durable once this resolves. */
  append(records: readonly UsageRecord[]): Promise<void> {
    return this.#serial(async () => {
      if (records.length === 0) return;
      const current = this.#current ?? (await this.#openNew());
      try {
        await current.handle.write(lines(records));
        await current.handle.sync();
      } catch (e) {
        // A half-written line must stay the last line of its file, or it would swallow the next one.
        await this.#closeCurrent().catch(() => undefined);
        throw e;
      }
    });
  }

  /** Closes the current file so that every file listed afterwards is complete. */
  rotate(): Promise<void> {
    return this.#serial(() => this.#closeCurrent());
  }

  close(): Promise<void> {
    return this.rotate();
  }

  /** Synchronous append to a file of its own, for the rare record that arrives after close(). */
  appendSync(records: readonly UsageRecord[]): void {
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(join(this.dir, this.#nextName()), "a");
    try {
      writeSync(fd, lines(records));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Spool files ready for replay (not the one being appended to), oldest first. */
  async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return [];
      throw e;
    }
    return names.filter((n) => SPOOL_FILE.test(n) && n !== this.#current?.name).sort();
  }

  /** Reads a spool file in batches of at most `size` records. */
  async *read(name: string, size: number): AsyncGenerator<SpoolBatch> {
    const input = createReadStream(join(this.dir, name), { encoding: "utf8" });
    const lineReader = createInterface({ input, crlfDelay: Infinity });
    try {
      let records: UsageRecord[] = [];
      let invalid = 0;
      for await (const line of lineReader) {
        if (line.trim() === "") continue;
        const record = parseLine(line);
        if (record === undefined) invalid += 1;
        else records.push(record);
        if (records.length >= size) {
          yield { records, invalid };
          records = [];
          invalid = 0;
        }
      }
      if (records.length > 0 || invalid > 0) yield { records, invalid };
    } finally {
      // A replay stopped half-way (Postgres gone again, shutdown) must not leave the file open.
      lineReader.close();
      input.destroy();
    }
  }

  /** Removes a replayed file; call only once all its rows are committed. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name));
    await this.#syncDir();
  }

  /** Keeps rows Postgres refused outright, for an operator to look at; never replayed. */
  async reject(records: readonly UsageRecord[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const handle = await open(join(this.dir, `rejected-${Date.now()}-${process.pid}.jsonl`), "a");
    try {
      await handle.write(lines(records));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #openNew(): Promise<{ handle: FileHandle; name: string }> {
    await mkdir(this.dir, { recursive: true });
    const name = this.#nextName();
    const handle = await open(join(this.dir, name), "a");
    // The new name must survive a crash as well as the lines in it.
    await this.#syncDir();
    this.#current = { handle, name };
    return this.#current;
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    await current.handle.close();
  }

  #nextName(): string {
    this.#seq += 1;
    return `usage-${Date.now()}-${process.pid}-${this.#seq}.jsonl`;
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function lines(records: readonly UsageRecord[]): string {
  let text = "";
  for (const r of records) text += `${JSON.stringify(recordJson(r))}\n`;
  return text;
}

function parseLine(line: string): UsageRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const checked = checkRecord(value);
  return checked.ok ? checked.record : undefined;
}

function errnoOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code: unknown = Reflect.get(e, "code");
  return typeof code === "string" ? code : undefined;
}
