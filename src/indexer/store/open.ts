// openStore(): PostgreSQL when a database URL is given, PGlite (embedded, .accord/db) otherwise.

import { DEFAULTS } from "../../defaults";
import { loadEntitySchema } from "../schema/load";
import type { EntityModel } from "../schema/model";
import type { SqlDriver } from "./driver";
import { openPgliteDriver, type PgliteThread } from "./pglite";
import { openPostgresDriver } from "./postgres";
import { SqlStore, type SqlStoreOptions } from "./store";

export const DEFAULT_DATA_DIR = DEFAULTS.dataDir;

export interface OpenStoreOptions extends SqlStoreOptions {
  /** postgres://… — use PostgreSQL instead of PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (default .accord/db, relative to the working directory); "memory://" for none. */
  dataDir?: string;
  /** The entity model (default: the project's subgraph/schema.graphql). */
  model?: EntityModel;
  /** Run migrations on open (default true). */
  migrate?: boolean;
  /** PGlite shared_buffers (default 16MB). */
  sharedBuffers?: string;
  /** PGlite template cluster for new data directories (see PgliteDriverOptions.template). */
  pgliteTemplate?: string | null;
  /** Where PGlite runs: this thread ("main", the default) or a worker thread of its own (see PgliteDriverOptions). */
  pgliteThread?: PgliteThread;
  /** PostgreSQL pool size (default 4). */
  poolSize?: number;
}

export async function openDriver(options: OpenStoreOptions): Promise<SqlDriver> {
  if (options.databaseUrl) return openPostgresDriver({ connectionString: options.databaseUrl, max: options.poolSize });
  return openPgliteDriver({
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
    sharedBuffers: options.sharedBuffers,
    template: options.pgliteTemplate,
    thread: options.pgliteThread,
  });
}

/** Opens (and by default migrates) the store. */
export async function openStore(options: OpenStoreOptions = {}): Promise<SqlStore> {
  const driver = await openDriver(options);
  const store = new SqlStore(driver, options.model ?? loadEntitySchema(), options);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await driver.close().catch(() => {});
      throw error;
    }
  }
  return store;
}
