// An agent's memory: one JSON record per deal (or offer) in a directory, each written whole and atomically (a
// temporary file, fsync, rename, fsync of the directory), so an agent killed with kill -9 at any point finds every
// record either as it was or as it became, never half-written. An agent writes what it is about to do before doing
// it (the decision to accept, the results it will submit), and on restart redoes whatever the chain shows undone.
//
// A lock file holding the process ID keeps a second agent off the same directory; a lock left by a process that is
// gone (killed) is taken over.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AccordError } from "../model/errors";

export class JournalLockedError extends AccordError {
  override name = "JournalLockedError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `dir`'s lock for this process; throws JournalLockedError while a live process holds it. */
function lock(dir: string): string {
  const file = path.join(dir, "LOCK");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(fs.readFileSync(file, "utf8"));
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new JournalLockedError(`${dir} is in use by process ${holder}`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new JournalLockedError(`could not lock ${dir}`);
}

/** File names for record keys: CIDs and hex keys are safe as they are; anything else is hashed. */
function fileOf(key: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(key)
    ? `${key}.json`
    : `${crypto.createHash("sha256").update(key).digest("hex")}.json`;
}

export class Journal<T extends object> {
  private readonly records = new Map<string, T>();

  private constructor(
    readonly dir: string,
    private readonly lockFile: string,
  ) {}

  /** Opens (creating) the journal in `dir`, with every record in memory. */
  static open<T extends object>(dir: string): Journal<T> {
    fs.mkdirSync(dir, { recursive: true });
    const journal = new Journal<T>(dir, lock(dir));
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".json")) {
        // A temporary file a killed write left behind.
        if (name.endsWith(".tmp")) fs.rmSync(path.join(dir, name), { force: true });
        continue;
      }
      const { key, value } = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as { key: string; value: T };
      journal.records.set(key, value);
    }
    return journal;
  }

  get(key: string): T | undefined {
    return this.records.get(key);
  }

  values(): T[] {
    return [...this.records.values()];
  }

  /** Writes `value` under `key`, durably, before it is visible to get(). */
  put(key: string, value: T): void {
    const file = path.join(this.dir, fileOf(key));
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, JSON.stringify({ key, value }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(this.dir, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    this.records.set(key, value);
  }

  /** Merges `changes` into the record under `key` (which must exist) and writes it. */
  update(key: string, changes: Partial<T>): T {
    const current = this.records.get(key);
    if (!current) throw new AccordError(`no journal record ${key}`);
    const next = { ...current, ...changes };
    this.put(key, next);
    return next;
  }

  delete(key: string): void {
    fs.rmSync(path.join(this.dir, fileOf(key)), { force: true });
    this.records.delete(key);
  }

  /** Releases the lock. */
  close(): void {
    fs.rmSync(this.lockFile, { force: true });
  }
}
