// Versioned migrations, recorded in `_accord_migrations` (version, name, checksum). Each runs in its own
// transaction under an advisory lock, so concurrent starts against one PostgreSQL database take turns.
//
//   1 core       _accord_meta, _accord_checkpoint, _accord_block_hashes
//   2 entities   one table per entity of the schema; its checksum is the schema's fingerprint. When the schema
//                changes, the entity tables are dropped and recreated and the checkpoint cleared: the indexer then
//                re-indexes from the deployment blocks (entities are derived data).
// New migrations go at the end with the next version number.

import { createHash } from "node:crypto";
import type { EntityModel } from "../schema/model";
import { ident } from "./codec";
import { coreDdl, dropEntitiesDdl, entitiesDdl, qualified, READ_INDEXES_RULE, readIndexesDdl, TABLES } from "./ddl";
import type { Queryable, SqlDriver } from "./driver";
import { StoreError } from "./errors";

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  up(tx: Queryable): Promise<void>;
  /** When the recorded checksum differs; without it a changed migration is an error. */
  redo?(tx: Queryable): Promise<void>;
}

const sha = (parts: string[]): string => createHash("sha256").update(parts.join(";\n")).digest("hex");

async function runAll(tx: Queryable, statements: string[]): Promise<void> {
  if (tx.exec) await tx.exec(statements.join(";\n"));
  else for (const statement of statements) await tx.query(statement);
}

export function migrations(schema: string, model: EntityModel): Migration[] {
  const core = coreDdl(schema);
  const entities = entitiesDdl(schema, model);
  const readIndexes = readIndexesDdl(schema, model);
  const entityTablesKey = "entity_tables";
  const meta = qualified(schema, TABLES.meta);
  const recordTables = (tx: Queryable): Promise<unknown> =>
    tx.query(
      `INSERT INTO ${meta} (key, value) VALUES ('${entityTablesKey}', $1::text) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify(model.entities.map((e) => e.table))],
    );
  return [
    {
      version: 1,
      name: "core",
      checksum: sha(core),
      up: (tx) => runAll(tx, core),
    },
    {
      version: 2,
      name: "entities",
      checksum: sha([model.fingerprint, ...entities]),
      async up(tx) {
        await runAll(tx, entities);
        await recordTables(tx);
      },
      async redo(tx) {
        const rows = await tx.query<{ value: string }>(`SELECT value FROM ${meta} WHERE key = '${entityTablesKey}'`);
        const previous: string[] = rows[0] ? (JSON.parse(rows[0].value) as string[]) : [];
        await runAll(tx, dropEntitiesDdl(schema, model, previous));
        await tx.query(`DELETE FROM ${qualified(schema, TABLES.checkpoint)}`);
        await tx.query(`DELETE FROM ${qualified(schema, TABLES.blockHashes)}`);
        await runAll(tx, entities);
        await runAll(tx, readIndexes);
        await recordTables(tx);
      },
    },
    {
      // Partial indexes for the API's reads of current versions (added after `entities`, so existing stores
      // get them without re-indexing; `IF NOT EXISTS` makes them safe to run again). A changed entity model
      // redoes `entities`, which creates them again, so the checksum names only this migration's rule.
      version: 3,
      name: "read-indexes",
      checksum: sha([READ_INDEXES_RULE]),
      up: (tx) => runAll(tx, readIndexes),
      redo: (tx) => runAll(tx, readIndexes),
    },
  ];
}

export interface MigrationResult {
  applied: string[];
  redone: string[];
}

/** Applies what is missing; redoes (or rejects) what changed. */
export async function migrate(driver: SqlDriver, schema: string, list: Migration[]): Promise<MigrationResult> {
  const table = qualified(schema, TABLES.migrations);
  const lock = (tx: Queryable): Promise<unknown> =>
    tx.query(`SELECT pg_advisory_xact_lock(hashtext($1::text))`, [`accord:${schema}`]);
  await driver.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${table} (version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  const result: MigrationResult = { applied: [], redone: [] };
  for (const m of list) {
    await driver.transaction(async (tx) => {
      await lock(tx);
      const rows = await tx.query<{ checksum: string }>(`SELECT checksum FROM ${table} WHERE version = $1::text::int`, [
        String(m.version),
      ]);
      const recorded = rows[0]?.checksum;
      if (recorded === m.checksum) return;
      if (recorded === undefined) {
        await m.up(tx);
        result.applied.push(m.name);
      } else {
        if (!m.redo) throw new StoreError(`migration ${m.version} (${m.name}) changed since it was applied`);
        await m.redo(tx);
        result.redone.push(m.name);
      }
      await tx.query(
        `INSERT INTO ${table} (version, name, checksum) VALUES ($1::text::int, $2::text, $3::text)` +
          ` ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = now()`,
        [String(m.version), m.name, m.checksum],
      );
    });
  }
  return result;
}
