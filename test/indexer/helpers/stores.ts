// Fresh stores for tests: PGlite always (copies of the template cluster, so each store is cheap),
// PostgreSQL when DATABASE_URL is set (a fresh SQL schema per store, dropped by cleanup()).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { initPgliteDataDir, openStore, type OpenStoreOptions, type SqlStore } from "../../../src/indexer";

export interface StoreKind {
  name: "pglite" | "pglite-worker" | "postgres";
  /** A new, empty, migrated store (and what to pass an indexer to open the same database). */
  open(
    options?: Partial<OpenStoreOptions>,
  ): Promise<{ store: SqlStore; options: OpenStoreOptions; cleanup: () => Promise<void> }>;
}

/** A fresh PGlite data directory (a copy of the user-level template cluster; see pgliteTemplateDir()). */
export async function freshPgliteDir(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-pglite-"));
  fs.rmSync(dir, { recursive: true });
  await initPgliteDataDir(dir);
  return dir;
}

function pgliteOn(thread: "main" | "worker"): StoreKind {
  return {
    name: thread === "main" ? "pglite" : "pglite-worker",
    async open(extra = {}) {
      const dataDir = await freshPgliteDir();
      const options: OpenStoreOptions = { ...extra, dataDir, pgliteThread: thread };
      const store = await openStore(options);
      return {
        store,
        options,
        async cleanup() {
          await store.close().catch(() => {});
          fs.rmSync(dataDir, { recursive: true, force: true });
          fs.rmSync(`${dataDir}.lock`, { force: true });
        },
      };
    },
  };
}

/** PGlite on the calling thread (the library's default). */
export const pglite: StoreKind = pgliteOn("main");
/** PGlite on a worker thread of its own (the command line's default). */
export const pgliteWorker: StoreKind = pgliteOn("worker");

export const postgres: StoreKind = {
  name: "postgres",
  async open(extra = {}) {
    const schema = `accord_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const options: OpenStoreOptions = { ...extra, databaseUrl: process.env.DATABASE_URL, schema };
    const store = await openStore(options);
    return {
      store,
      options,
      async cleanup() {
        await store.dropSchema().catch(() => {});
        await store.close().catch(() => {});
      },
    };
  },
};

/** PGlite on both threads, plus PostgreSQL when DATABASE_URL is set. */
export const STORE_KINDS: StoreKind[] = process.env.DATABASE_URL
  ? [pglite, pgliteWorker, postgres]
  : [pglite, pgliteWorker];
