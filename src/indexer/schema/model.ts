// Entity metadata: what the store, the handlers and the GraphQL server know about the entity schema.
// The shape is a superset of src/server/entities.ts's model (same names for the same things), plus what the store
// needs: table and column names and the SQL storage type of every stored field.

/** The scalar types of The Graph's schema dialect. */
export const GRAPH_SCALARS = [
  "ID",
  "String",
  "Int",
  "Boolean",
  "BigInt",
  "BigDecimal",
  "Bytes",
  "Int8",
  "Timestamp",
] as const;
export type GraphScalar = (typeof GRAPH_SCALARS)[number];

export type FieldKind = "scalar" | "enum" | "entity";
/** How an entity's `id` is typed: `ID`/`String`, `Bytes` or `Int8`. */
export type IdType = "String" | "Bytes" | "Int8";

/**
 * How a value is stored in SQL (one element's type for lists).
 * text: ID, String, enums (COLLATE "C", so ordering is byte order in every database);
 * bytea: Bytes (returned as 0x-lowercase hex); numeric: BigInt, BigDecimal (BigInt returned as bigint,
 * BigDecimal as a decimal string); int4: Int (number); int8: Int8, Timestamp (number when safe, else bigint);
 * boolean: Boolean.
 */
export type Storage = "text" | "bytea" | "numeric" | "int4" | "int8" | "boolean";

export interface FieldMeta {
  name: string;
  description?: string;
  /** The named type: a scalar, an enum or an entity type. */
  type: string;
  kind: FieldKind;
  list: boolean;
  /** Whether the field itself is non-null (`X!` or `[X!]!`). */
  nonNull: boolean;
  /** For lists: whether the items are non-null (`[X!]`). */
  itemNonNull: boolean;
  /** `@derivedFrom(field: …)`: the field of `type` that references this entity. Derived fields are not stored. */
  derivedFrom?: string;
  /** The SQL column, quoted-safe snake_case; undefined for derived fields. */
  column?: string;
  /** SQL storage of the value (of each item for lists); for entity references, the target's id storage. */
  storage: Storage;
  /** For `kind: "scalar"`, the scalar; for references, the scalar of the target's id; for enums, "String". */
  scalar: GraphScalar;
  /** For enums: the allowed values, in declaration order. */
  enumValues?: readonly string[];
}

export interface EntityMeta {
  name: string;
  description?: string;
  immutable: boolean;
  idType: IdType;
  /** Every field, in schema order, derived ones included. */
  fields: FieldMeta[];
  field(name: string): FieldMeta | undefined;
  /** The SQL table (unqualified). */
  table: string;
  /** The stored fields (every non-derived field, `id` first). */
  columns: FieldMeta[];
}

export interface EnumMeta {
  name: string;
  description?: string;
  values: { name: string; description?: string }[];
}

export interface EntityModel {
  entities: EntityMeta[];
  enums: EnumMeta[];
  entity(name: string): EntityMeta | undefined;
  enumType(name: string): EnumMeta | undefined;
  /** sha256 (hex) of a canonical description of the stored shape: tables, columns and their types. */
  fingerprint: string;
}

export class EntitySchemaError extends Error {
  override name = "EntitySchemaError";
}

/** Columns every entity table has besides its fields. No field may map to these. */
export const SYSTEM_COLUMNS = ["vid", "block_from", "block_to"] as const;
