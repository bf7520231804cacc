// SQL names and DDL derived from the entity model.
//
// One table per entity: its fields as typed columns (ID/String/enums text COLLATE "C", Bytes bytea, BigInt
// numeric, Int int4, Boolean boolean, lists as arrays), plus
//   vid bigserial         the version's row id
//   block_from bigint     first block the version is valid at
//   block_to bigint NULL  first block it is no longer valid at (NULL: the current version)
// Indexes: one open version per id (unique), (id, block_from) for time travel, block_from / block_to for
// rollbacks and change queries, and one per field people filter and sort by (see `indexedFields`).

import type { EntityMeta, EntityModel, FieldMeta } from "../schema/model";
import { ident, sqlType } from "./codec";

/** Internal tables (all in the store's SQL schema). */
export const TABLES = {
  migrations: "_accord_migrations",
  checkpoint: "_accord_checkpoint",
  blockHashes: "_accord_block_hashes",
  meta: "_accord_meta",
} as const;

export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/**
 * Fields that get their own index: references, enums, and the ids (digests and CIDs: Deal.dealId, Deal.cid), times
 * and blocks people look up or sort by.
 */
export function indexedFields(entity: EntityMeta): FieldMeta[] {
  return entity.columns.filter((f) => {
    if (f.name === "id" || f.list) return false;
    if (f.kind === "entity") return true;
    if (f.kind === "enum") return !entity.immutable;
    if (/Id$/.test(f.name) && f.storage === "bytea") return !entity.immutable;
    if (f.name === "cid" && f.storage === "text") return !entity.immutable;
    return f.storage === "numeric" && /(^blockNumber$|^createdAt$|^updatedAt$)/.test(f.name);
  });
}

function columnDdl(field: FieldMeta): string {
  const collate = field.storage === "text" ? ' COLLATE "C"' : "";
  const notNull = field.nonNull ? " NOT NULL" : "";
  return `${ident(field.column!)} ${sqlType(field.storage, field.list)}${collate}${notNull}`;
}

/** CREATE TABLE and CREATE INDEX statements for one entity. */
export function entityDdl(schema: string, entity: EntityMeta): string[] {
  const table = qualified(schema, entity.table);
  const name = (suffix: string): string => ident(`${entity.table}_${suffix}`.slice(0, 63));
  const statements = [
    `CREATE TABLE ${table} (
  vid bigserial NOT NULL,
  ${entity.columns.map(columnDdl).join(",\n  ")},
  block_from bigint NOT NULL,
  block_to bigint,
  CHECK (block_to IS NULL OR block_to > block_from)
)`,
    entity.immutable
      ? `CREATE UNIQUE INDEX ${name("id")} ON ${table} (id)`
      : `CREATE UNIQUE INDEX ${name("open_id")} ON ${table} (id) WHERE block_to IS NULL`,
    `CREATE INDEX ${name("block_from")} ON ${table} (block_from)`,
  ];
  if (!entity.immutable) {
    statements.push(`CREATE INDEX ${name("id_range")} ON ${table} (id, block_from)`);
    statements.push(`CREATE INDEX ${name("block_to")} ON ${table} (block_to) WHERE block_to IS NOT NULL`);
  }
  for (const field of indexedFields(entity)) {
    statements.push(`CREATE INDEX ${name(field.column!)} ON ${table} (${ident(field.column!)})`);
  }
  return statements;
}

/**
 * Indexes for reads of the current versions (`block_to IS NULL`, as the API's reads at the latest block are
 * planned): per reference (reference, status enum, createdAt, id) and per enum (enum, updatedAt, id):
 * the order the API sorts by, ties broken by id. Partial, so they hold one row per entity rather than one per version.
 */
export function readIndexDdl(schema: string, entity: EntityMeta): string[] {
  if (entity.immutable) return [];
  const table = qualified(schema, entity.table);
  const name = (suffix: string): string => ident(`${entity.table}_${suffix}`.slice(0, 63));
  const column = (fieldName: string): string | undefined => {
    const f = entity.columns.find((c) => c.name === fieldName && !c.list);
    return f ? ident(f.column!) : undefined;
  };
  const created = column("createdAt") ?? "id";
  const updated = column("updatedAt") ?? created;
  const status = entity.columns.find((f) => f.kind === "enum" && !f.list);
  const statements: string[] = [];
  for (const field of indexedFields(entity)) {
    const col = ident(field.column!);
    if (field.kind === "entity") {
      // A reference, then the entity's (first) status enum, then creation: "this account's deals in these states".
      const cols = [col, ...(status ? [ident(status.column!)] : []), created, ...(created === "id" ? [] : ["id"])];
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${name(`${field.column}_open`)} ON ${table} (${cols.join(", ")}) WHERE block_to IS NULL`,
      );
    } else if (field.kind === "enum") {
      // A status, most recently changed first: "the disputes decided lately".
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${name(`${field.column}_open`)} ON ${table} (${col}, ${updated}${updated === "id" ? "" : ", id"}) WHERE block_to IS NULL`,
      );
    }
    // Time/block fields and *Id lookups keep their all-versions index: a partial one per sort field would let the
    // planner walk every current row in that order instead of using the (reference, status, …) ones above.
    // (The open-version unique index on id serves unfiltered lists of current versions.)
  }
  return statements;
}

export function readIndexesDdl(schema: string, model: EntityModel): string[] {
  return model.entities.flatMap((e) => readIndexDdl(schema, e));
}

export function coreDdl(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, TABLES.meta)} (key text PRIMARY KEY, value text NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, TABLES.checkpoint)} (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  timestamp bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, TABLES.blockHashes)} (
  number bigint PRIMARY KEY,
  hash text NOT NULL,
  parent text
)`,
  ];
}

export function entitiesDdl(schema: string, model: EntityModel): string[] {
  return model.entities.flatMap((e) => entityDdl(schema, e));
}

export function dropEntitiesDdl(schema: string, model: EntityModel, previousTables: string[] = []): string[] {
  const tables = new Set([...model.entities.map((e) => e.table), ...previousTables]);
  return [...tables].map((t) => `DROP TABLE IF EXISTS ${qualified(schema, t)} CASCADE`);
}
