// PGlite on a worker thread of its own. PGlite is PostgreSQL compiled to WebAssembly: every statement runs
// synchronously on the thread that owns it. On the indexer's thread, a batch's commit (about a third of a backfill)
// and the API's queries take turns with the mappings; on a worker they run beside them, on the second core.
//
// This file is both ends. The calling thread keeps what is about the directory (its lock, the template copy) and
// talks to the worker through PgliteThreadDriver, a SqlDriver like the one on the main thread; the worker (the
// same module, loaded with workerData) starts PGlite with the same settings (pglite.ts startPglite) and runs each
// request on it. A transaction is a worker-side PGlite transaction that stays open while the caller's function
// runs, its statements tagged with its id; statements outside it wait for it, as on one PGlite.

import fs from "node:fs";
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { PGlite as PGliteType, Transaction } from "@electric-sql/pglite";
import {
  runWrites,
  type CopyData,
  type Queryable,
  type Row,
  type SqlDriver,
  type SqlParam,
  type WriteStatement,
} from "./driver";
import { StoreError } from "./errors";
import { copyIn, pgliteOperations, preparePgliteDataDir, startPglite, type PgliteDriverOptions } from "./pglite";

type Request =
  | { op: "query"; sql: string; params?: SqlParam[]; tx?: number }
  | { op: "copyIn"; table: string; columns: string[]; data: CopyData; tx: number }
  | { op: "exec"; script: string; tx?: number }
  | { op: "write"; statements: readonly WriteStatement[] }
  | { op: "begin" }
  | { op: "end"; tx: number; commit: boolean }
  | { op: "close" };

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** An error as it crosses the thread boundary: its name, message and own fields (a DatabaseError's code, detail…). */
type SerializedError = { name: string; message: string; fields: Record<string, unknown> };

interface ThreadData {
  accordPgliteThread: true;
  dataDir: string;
  sharedBuffers?: string;
}

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

function deserializeError(serialized: SerializedError): Error {
  const error = serialized.name === "StoreError" ? new StoreError(serialized.message) : new Error(serialized.message);
  Object.assign(error, serialized.fields);
  error.name = serialized.name;
  return error;
}

/*//////////////////////////////////////////////////////////////
                          THE CALLING THREAD
//////////////////////////////////////////////////////////////*/

/**
 * The worker's JS heap holds only what passes through (statements, COPY text, result rows): a small young
 * generation makes it collect that garbage early instead of letting it grow the process's RSS.
 */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };

/** The worker's entry: this module compiled, or, when running from the TypeScript sources, this file through ts-node. */
function startWorker(data: ThreadData): Worker {
  const compiled = path.join(__dirname, "pglite-thread.js");
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData: data, resourceLimits: RESOURCE_LIMITS });
  const source = path.join(__dirname, "pglite-thread.ts");
  return new Worker(`require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(source)});`, {
    eval: true,
    workerData: data,
    resourceLimits: RESOURCE_LIMITS,
  });
}

/**
 * The buffers of a request's COPY bytes, moved to the worker instead of copied (a batch's are megabytes; CopyData's
 * bytes are the driver's once handed over).
 */
function transfers(request: Request): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (data: CopyData): void => {
    if (typeof data !== "string" && !out.includes(data.buffer)) {
      out.push(data.buffer);
    }
  };
  if (request.op === "copyIn") add(request.data);
  else if (request.op === "write")
    for (const statement of request.statements) if (statement.copy) add(statement.copy.data);
  return out;
}

class PgliteThreadDriver implements SqlDriver {
  readonly kind = "pglite" as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly release: () => void,
  ) {
    // The worker keeps the process alive only while a request is pending (see call()).
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(deserializeError(reply.error));
    });
    const fail = (error: Error): void => {
      this.failure ??= error;
      for (const waiting of this.pending.values()) waiting.reject(this.failure);
      this.pending.clear();
    };
    worker.on("error", (error) => fail(new StoreError(`the PGlite thread failed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => fail(new StoreError(`the PGlite thread exited (code ${code})`)));
  }

  call<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...request }, transfers(request));
    });
  }

  query<T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]> {
    return this.call<T[]>({ op: "query", sql, params });
  }

  exec(script: string): Promise<void> {
    return this.call<void>({ op: "exec", script });
  }

  /** The whole transaction in one request: the worker runs it to its end on its own. */
  writeTransaction(statements: readonly WriteStatement[]): Promise<void> {
    return this.call<void>({ op: "write", statements });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = await this.call<number>({ op: "begin" });
    let value: T;
    try {
      value = await fn({
        query: <R extends Row = Row>(sql: string, params?: SqlParam[]) =>
          this.call<R[]>({ op: "query", sql, params, tx }),
        copyIn: (table: string, columns: string[], data: CopyData) =>
          this.call<void>({ op: "copyIn", table, columns, data, tx }),
        exec: (script: string) => this.call<void>({ op: "exec", script, tx }),
      });
    } catch (error) {
      await this.call({ op: "end", tx, commit: false }).catch(() => {});
      throw error;
    }
    await this.call({ op: "end", tx, commit: true });
    return value;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      try {
        if (!this.failure) await this.call({ op: "close" });
      } finally {
        this.failure ??= new StoreError("the PGlite thread is closed");
        await this.worker.terminate();
        this.release();
      }
    })();
    return this.closed;
  }
}

/** openPgliteDriver with `thread: "worker"`: the directory prepared here, PGlite started on its own thread. */
export async function openPgliteThreadDriver(options: PgliteDriverOptions): Promise<SqlDriver> {
  const release = await preparePgliteDataDir(options);
  const data: ThreadData = { accordPgliteThread: true, dataDir: options.dataDir, sharedBuffers: options.sharedBuffers };
  let worker: Worker;
  try {
    worker = startWorker(data);
  } catch (error) {
    release();
    throw error;
  }
  const driver = new PgliteThreadDriver(worker, release);
  try {
    // The worker answers its first request once PGlite is ready (or with the error that kept it from starting).
    await driver.query("SELECT 1");
  } catch (error) {
    await driver.close().catch(() => {});
    throw error;
  }
  return driver;
}

/*//////////////////////////////////////////////////////////////
                              THE WORKER
//////////////////////////////////////////////////////////////*/

/** Thrown inside a worker-side transaction to roll it back. */
class Rollback extends Error {}

function serveRequests(data: ThreadData): void {
  const port = parentPort!;
  const ready: Promise<PGliteType> = startPglite(data.dataDir, data.sharedBuffers);
  ready.catch(() => {});
  const transactions = new Map<number, { tx: Transaction; end(commit: boolean): void; done: Promise<void> }>();
  let nextTx = 1;

  const txOf = (id: number): Transaction => {
    const open = transactions.get(id);
    if (!open) throw new StoreError(`no open transaction ${id} on the PGlite thread`);
    return open.tx;
  };

  let ops: ReturnType<typeof pgliteOperations> | undefined;
  const operations = (db: PGliteType) => (ops ??= pgliteOperations(db));

  const handle = async (request: Request, db: PGliteType): Promise<unknown> => {
    switch (request.op) {
      case "query":
        if (request.tx === undefined) return operations(db).query(request.sql, request.params);
        return (await txOf(request.tx).query(request.sql, request.params as unknown[] | undefined)).rows;
      case "copyIn":
        await copyIn(txOf(request.tx), request.table, request.columns, request.data);
        return undefined;
      case "exec":
        await (request.tx === undefined ? db : txOf(request.tx)).exec(request.script);
        return undefined;
      case "write":
        await operations(db).transaction((tx) => runWrites(tx, request.statements));
        return undefined;
      case "begin": {
        const id = nextTx++;
        // Resolves with the transaction's id once BEGIN ran; the transaction then waits for its "end".
        return new Promise<number>((resolve, reject) => {
          let end!: (commit: boolean) => void;
          const ended = new Promise<boolean>((r) => (end = r));
          const done = db
            .transaction(async (tx) => {
              transactions.set(id, { tx, end, done });
              resolve(id);
              if (!(await ended)) throw new Rollback();
            })
            .catch((error: unknown) => {
              if (!(error instanceof Rollback)) throw error;
            })
            .finally(() => transactions.delete(id));
          done.catch(reject);
        });
      }
      case "end": {
        const open = transactions.get(request.tx);
        if (!open) throw new StoreError(`no open transaction ${request.tx} on the PGlite thread`);
        open.end(request.commit);
        await open.done;
        return undefined;
      }
      case "close":
        await db.close();
        return undefined;
    }
  };

  port.on("message", (message: { id: number } & Request) => {
    void (async () => {
      let reply: Reply;
      try {
        reply = { id: message.id, ok: true, value: await handle(message, await ready) };
      } catch (error) {
        reply = { id: message.id, ok: false, error: serializeError(error) };
      }
      port.postMessage(reply);
    })();
  });
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.accordPgliteThread) {
  serveRequests(workerData as ThreadData);
}
