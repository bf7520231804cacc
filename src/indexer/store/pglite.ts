// PGlite: PostgreSQL compiled to WebAssembly, embedded, with its data in a directory (default .accord/db).
//
// Memory: creating a cluster (initdb) runs three WebAssembly instances at once and peaks at ~800 MiB RSS, while
// opening an existing one costs ~250 MiB. So clusters are created in a short-lived child process, once per PGlite
// version into a template (~/.cache/accord by default), and new data directories are copies of it: the indexer's process
// only ever opens existing clusters. shared_buffers is lowered from PGlite's
// 128MB to 16MB (WebAssembly memory never shrinks, so every buffer page touched stays resident; see DEFAULTS).
//
// One process at a time: PGlite has no locking of its own, so `<dataDir>.lock` holds the owner's pid; a lock whose
// process is gone (a crash) is taken over.

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PGlite as PGliteType } from "@electric-sql/pglite";
import { RANDOM_PAGE_COST, type CopyData, type Queryable, type Row, type SqlDriver, type SqlParam } from "./driver";
import { DEFAULTS } from "../../defaults";
import { StoreError } from "./errors";
import { executeStatement, StatementNames } from "./prepared";

/** The bytea type's OID. */
const BYTEA_OID = 17;

export interface PgliteDriverOptions {
  /** Data directory; created (and initialised) if missing. "memory://" keeps everything in memory (tests). */
  dataDir: string;
  /** PostgreSQL shared_buffers (default "16MB"). */
  sharedBuffers?: string;
  /** The template cluster new data directories are copied from: a directory, null for none (initdb every time),
   * or left out for pgliteTemplateDir(). */
  template?: string | null;
  /**
   * Where PostgreSQL runs: "main", this thread (the default); "worker", a worker thread of its own
   * (pglite-thread.ts), so that its work (a batch's commit, the API's queries) runs beside this thread's instead of
   * in turn with it.
   */
  thread?: PgliteThread;
}

export type PgliteThread = "main" | "worker";

export interface PgliteInitOptions {
  /** As PgliteDriverOptions.template. */
  template?: string | null;
}

const openDirs = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function acquireLock(dataDir: string): () => void {
  const resolved = path.resolve(dataDir);
  if (openDirs.has(resolved)) throw new StoreError(`PGlite data directory ${resolved} is already open in this process`);
  const lockFile = `${resolved}.lock`;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw error;
      const pid = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) {
        throw new StoreError(`PGlite data directory ${resolved} is in use by process ${pid} (${lockFile})`);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  openDirs.add(resolved);
  return () => {
    openDirs.delete(resolved);
    try {
      if (fs.readFileSync(lockFile, "utf8") === String(process.pid)) fs.rmSync(lockFile, { force: true });
    } catch {
      // already gone
    }
  };
}

/** True when `dataDir` holds an initialised cluster. */
export function isInitialised(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, "PG_VERSION"));
}

/** Where a directory is built before it is renamed to `target`: `<target>.<kind>-<pid>-<ms>`. */
function scratchDir(target: string, kind: string): string {
  return `${target}.${kind}-${process.pid}-${Date.now()}`;
}

/**
 * Removes what a killed process left while building `target` (its scratch directories, see scratchDir): only those
 * of processes that are gone.
 */
function removeAbandonedScratch(target: string): void {
  const parent = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(?:init|copy)-(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (!match || pidAlive(Number(match[1]))) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/** Runs PGlite's initdb for `dir` in a child process; `dir` appears only once complete (renamed into place). */
async function initdbInChild(dir: string): Promise<void> {
  const resolved = path.resolve(dir);
  fs.mkdirSync(path.dirname(resolved), { recursive: true });
  removeAbandonedScratch(resolved);
  const tmp = scratchDir(resolved, "init");
  const script =
    "const { PGlite } = require(process.argv[1]);" +
    "const db = new PGlite(process.argv[2]);" +
    "db.waitReady.then(() => db.close()).then(() => process.exit(0), (e) => { console.error(e && e.message); process.exit(1); });";
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ["-e", script, require.resolve("@electric-sql/pglite"), tmp],
        (error, _out, stderr) => {
          if (error)
            reject(new StoreError(`initialising a PGlite cluster in ${resolved} failed: ${stderr || error.message}`));
          else resolve();
        },
      );
    });
    moveInto(tmp, resolved);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Renames `from` to `to`, where `to` may exist only as an empty directory. Another process winning is fine. */
function moveInto(from: string, to: string): void {
  if (fs.existsSync(to)) {
    if (isInitialised(to)) return;
    if (fs.readdirSync(to).length > 0)
      throw new StoreError(`${to} exists, is not empty and is not a PGlite data directory`);
    fs.rmdirSync(to);
  }
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if (!isInitialised(to)) throw error;
  }
}

function pgliteVersion(): string {
  try {
    const pkg = path.join(path.dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
    return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * Where a pristine cluster is kept for copying into new data directories (initdb takes seconds and ~800 MiB;
 * a copy takes ~0.1 s): `<cacheDir>/accord/pglite-<PGlite version>`, cacheDir defaulting to ~/.cache. (The
 * command line passes $XDG_CACHE_HOME, or $ACCORD_PGLITE_TEMPLATE instead of this; see src/bin/options.ts.)
 */
export function pgliteTemplateDir(cacheDir: string = path.join(os.homedir(), ".cache")): string {
  return path.join(cacheDir, "accord", `pglite-${pgliteVersion()}`);
}

/**
 * Initialises a PGlite cluster in `dataDir` unless it has one: a copy of the template cluster (made first, in a
 * child process, if missing), or, with the template disabled (`template: null`), initdb in a child process (see
 * the memory note above). Both are built in a scratch directory and renamed into place, so a half-made cluster
 * never appears at `dataDir` or at the template (a process killed meanwhile leaves only its scratch directory,
 * removed by the next one).
 */
export async function initPgliteDataDir(dataDir: string, options: PgliteInitOptions = {}): Promise<void> {
  if (isInitialised(dataDir)) return;
  const resolved = path.resolve(dataDir);
  const template = options.template === undefined ? pgliteTemplateDir() : options.template;
  if (template && path.resolve(template) !== resolved) {
    try {
      if (!isInitialised(template)) await initdbInChild(template);
      removeAbandonedScratch(resolved);
      const tmp = scratchDir(resolved, "copy");
      try {
        fs.mkdirSync(path.dirname(resolved), { recursive: true });
        fs.cpSync(template, tmp, { recursive: true });
        moveInto(tmp, resolved);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      return;
    } catch (error) {
      if (error instanceof StoreError && /not empty/.test(error.message)) throw error;
      // An unusable cache (read-only home, …): initialise directly.
    }
  }
  await initdbInChild(resolved);
}

/** PGlite's start parameters for the store (see the notes inline). */
function startParams(defaults: readonly string[], sharedBuffers: string | undefined): string[] {
  const params = [...defaults, "-c", `shared_buffers=${sharedBuffers ?? DEFAULTS.sharedBuffers}`];
  // Crash safety here means surviving the process being killed (PGlite runs with fsync off, so an OS crash was
  // never covered): every page write is one write() the kernel completes, so torn pages cannot happen and full-page
  // images in the WAL only cost time. Minimal WAL: nothing replicates from an embedded database.
  params.push(
    "-c",
    "full_page_writes=off",
    "-c",
    "wal_level=minimal",
    "-c",
    "max_wal_senders=0",
    "-c",
    "max_wal_size=256MB",
    // See RANDOM_PAGE_COST: an embedded store's working set is in memory.
    "-c",
    `random_page_cost=${RANDOM_PAGE_COST}`,
  );
  return params;
}

/**
 * Starts PGlite on an initialised data directory (or in memory for "memory://"), configured for the store. Used by
 * openPgliteDriver on this thread and by the PGlite thread (pglite-thread.ts) on its own.
 */
export async function startPglite(dataDir: string, sharedBuffers?: string): Promise<PGliteType> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: PGlite (WebAssembly) loads only when no database URL is given
  const { PGlite } = require("@electric-sql/pglite") as typeof import("@electric-sql/pglite");
  const db = new PGlite(dataDir.startsWith("memory://") ? undefined : dataDir, {
    startParams: startParams(PGlite.defaultStartParams, sharedBuffers),
    // bytea as PostgreSQL's text (\x…): the codec turns that into 0x-hex directly, where PGlite's default parser
    // builds a Uint8Array the codec then turns back into hex (most of a wide row's decoding).
    parsers: { [BYTEA_OID]: (text: string) => text },
  });
  await db.waitReady;
  return db;
}

/** COPY in text format through PGlite's /dev/blob device (Queryable.copyIn). */
export async function copyIn(
  tx: { query: PGliteType["query"] },
  table: string,
  columns: string[],
  data: CopyData,
): Promise<void> {
  await tx.query(`COPY ${table} (${columns.join(", ")}) FROM '/dev/blob'`, [], { blob: new Blob([data]) });
}

interface PreparedSession {
  names: StatementNames;
  /** Statements being prepared, by name: whether they were. */
  preparing: Map<string, Promise<boolean>>;
}

const sessions = new WeakMap<PGliteType, PreparedSession>();

/** The prepared statements of one PGlite session (shared by every pgliteOperations of it). */
function preparedSession(db: PGliteType): PreparedSession {
  let session = sessions.get(db);
  if (!session) sessions.set(db, (session = { names: new StatementNames({ evict: true }), preparing: new Map() }));
  return session;
}

/** The store's operations on a started PGlite; `close` also closes the database. */
export function pgliteOperations(db: PGliteType): Omit<SqlDriver, "kind" | "close"> {
  const run = async <T extends Row>(
    q: { query: PGliteType["query"] },
    sql: string,
    params?: SqlParam[],
  ): Promise<T[]> => {
    const result = await q.query<T>(sql, params as unknown[] | undefined);
    return result.rows;
  };
  // Reads outside a transaction run as named prepared statements (prepared.ts: planned once, not per run). PGlite runs
  // one statement at a time, so a statement is prepared before any EXECUTE of it that was called after it.
  const { names, preparing } = preparedSession(db);
  const prepare = async (name: string, sql: string, evicted: string | undefined): Promise<boolean> => {
    try {
      if (evicted !== undefined) await db.exec(`DEALLOCATE ${evicted}`);
      await db.query(`PREPARE ${name} AS ${sql}`);
      return true;
    } catch {
      // Not preparable as it stands (e.g. a parameter whose type only its value tells): it runs unnamed.
      names.forget(sql);
      return false;
    } finally {
      preparing.delete(name);
    }
  };
  const prepared = async <T extends Row>(sql: string, params?: SqlParam[]): Promise<T[]> => {
    const slot = names.name(sql);
    if (slot === undefined) return run<T>(db, sql, params);
    let ready = preparing.get(slot.name);
    if (slot.created) {
      ready = prepare(slot.name, sql, slot.evicted);
      preparing.set(slot.name, ready);
    }
    if (ready !== undefined && !(await ready)) return run<T>(db, sql, params);
    try {
      // The simple query protocol: one message to PostgreSQL where a parameterised query takes five.
      const [result] = await db.exec(executeStatement(slot.name, params ?? []));
      return result.rows as T[];
    } catch (error) {
      // 26000: the name is gone (a DISCARD, a reset session); the statement runs unnamed and is named again later.
      if ((error as { code?: string }).code !== "26000") throw error;
      names.forget(sql);
      return run<T>(db, sql, params);
    }
  };
  return {
    query: <T extends Row = Row>(sql: string, params?: SqlParam[]) => prepared<T>(sql, params),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) =>
        fn({
          query: <R extends Row = Row>(sql: string, params?: SqlParam[]) => run<R>(tx, sql, params),
          copyIn: (table: string, columns: string[], data: CopyData) => copyIn(tx, table, columns, data),
          async exec(script: string): Promise<void> {
            await tx.exec(script);
          },
        }),
      );
    },
  };
}

/**
 * Takes the data directory's lock and initialises the directory if needed (a copy of the template); returns the
 * lock's release. Nothing to do for "memory://".
 */
export async function preparePgliteDataDir(options: PgliteDriverOptions): Promise<() => void> {
  if (options.dataDir.startsWith("memory://")) return () => {};
  const release = acquireLock(options.dataDir);
  try {
    await initPgliteDataDir(options.dataDir, { template: options.template });
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

export async function openPgliteDriver(options: PgliteDriverOptions): Promise<SqlDriver> {
  if (options.thread === "worker") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the worker's users load it
    const { openPgliteThreadDriver } = require("./pglite-thread") as typeof import("./pglite-thread");
    return openPgliteThreadDriver(options);
  }
  const release = await preparePgliteDataDir(options);
  let db: PGliteType;
  try {
    db = await startPglite(options.dataDir, options.sharedBuffers);
  } catch (error) {
    release();
    throw error;
  }
  let closed = false;
  return {
    kind: "pglite",
    ...pgliteOperations(db),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
