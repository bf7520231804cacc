// Fresh stores for tests: PGlite always (copies of the template cluster, so each store is cheap),
// PostgreSQL when DATABASE_URL is set (a fresh SQL schema per store, dropped by cleanup()).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { initPgliteDataDir, openStore, type OpenStoreOptions, type SqlStore } from "../../../src/indexer";

export interface StoreKind {
  name: "pglite" | "postgres";
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

export const pglite: StoreKind = {
  name: "pglite",
  async open(extra = {}) {
    const dataDir = await freshPgliteDir();
    const options: OpenStoreOptions = { ...extra, dataDir };
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

/** PGlite, plus PostgreSQL when DATABASE_URL is set. */
export const STORE_KINDS: StoreKind[] = process.env.DATABASE_URL ? [pglite, postgres] : [pglite];
