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

/** Names the read indexes of earlier versions had (`<table>_<column>_open`), dropped when upgrading. */
function obsoleteReadIndexes(entity: EntityMeta): string[] {
  return indexedFields(entity)
    .filter((f) => f.kind === "entity" || f.kind === "enum")
    .map((f) => `${entity.table}_${f.column}_open`.slice(0, 63));
}

/** The orders lists of an entity are read in: its creation and last-change times, when it has them. */
function orderFields(entity: EntityMeta): FieldMeta[] {
  return entity.columns.filter((f) => !f.list && (f.name === "createdAt" || f.name === "updatedAt"));
}

/**
 * Indexes for the API's lists of current versions (`block_to IS NULL`, as reads at the latest block are planned),
 * derived from the model: for every reference and enum a list filters by, and every order it is read in (createdAt,
 * updatedAt), (field, order, id), plus (order, id) alone; so "this provider's deals newest first" or "deals in
 * ResultsSubmitted by last change" walk an index in order and stop after `first` rows. The entity's enums and
 * booleans follow as trailing columns: another equality filter (`isOpen: true`, `state_in: […]`) is checked in the
 * index, without visiting the rows it skips. (Booleans never lead: half the rows match either way.) Partial, so
 * they hold one row per entity rather than one per version.
 */
export function readIndexDdl(schema: string, entity: EntityMeta): string[] {
  if (entity.immutable) return [];
  const table = qualified(schema, entity.table);
  const name = (suffix: string): string => ident(`${entity.table}_${suffix}`.slice(0, 63));
  const flags = entity.columns.filter((f) => !f.list && (f.kind === "enum" || f.storage === "boolean"));
  const leading = entity.columns.filter((f) => !f.list && (f.kind === "entity" || f.kind === "enum"));
  const orders = orderFields(entity);
  const statements = obsoleteReadIndexes(entity).map((n) => `DROP INDEX IF EXISTS ${qualified(schema, n)}`);
  const index = (suffix: string, cols: string[]): void => {
    statements.push(
      `CREATE INDEX IF NOT EXISTS ${name(suffix)} ON ${table} (${cols.join(", ")}) WHERE block_to IS NULL`,
    );
  };
  for (const field of [...leading, undefined]) {
    const trailing = flags.filter((f) => f !== field).map((f) => ident(f.column!));
    const lead = field ? [ident(field.column!)] : [];
    if (orders.length === 0 && field) index(`${field.column}_by_id`, [...lead, "id", ...trailing]);
    for (const order of orders) {
      index(`${field ? `${field.column}_` : ""}by_${order.column}`, [...lead, ident(order.column!), "id", ...trailing]);
    }
  }
  return statements;
}

/** Changes whenever the rule above does, so stores built with an earlier rule get the new indexes. */
export const READ_INDEXES_RULE = "read-indexes:v2 (field, order, id, flags) for current versions";

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
