// Conversions between entity values (EntityValue: bigint, number, boolean, 0x-hex strings, strings, arrays) and
// the SQL side. Every value crosses to the database as text (or an array of text) and is cast in SQL, so both
// drivers (PGlite, pg) serialise parameters the same way.

import type { EntityMeta, FieldMeta, Storage } from "../schema/model";
import { EntityValidationError } from "./errors";
import type { EntityRecord, EntityValue } from "./types";

const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

/** Normalises a Bytes value to 0x-lowercase hex; null if it is not one. */
export function normalizeHex(value: unknown): string | null {
  if (typeof value !== "string" || !HEX_RE.test(value)) return null;
  return value.toLowerCase();
}

/** Quotes an identifier that is known safe (from the schema model): always quoted, so reserved words work. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL type of a column. */
export function sqlType(storage: Storage, list: boolean): string {
  const base = storage === "text" ? "text" : storage;
  return list ? `${base}[]` : base;
}

/** The SQL expression turning a text value `expr` (a parameter or unnest column) into the column's type. */
export function castFromText(expr: string, storage: Storage, list: boolean): string {
  if (list) return `${expr}::${sqlType(storage, true)}`;
  switch (storage) {
    case "text":
      return expr;
    case "bytea":
      return `decode(${expr}, 'hex')`;
    default:
      return `${expr}::${storage}`;
  }
}

function fail(entity: EntityMeta, field: FieldMeta, message: string): never {
  throw new EntityValidationError(entity.name, field.name, message);
}

function scalarToText(entity: EntityMeta, field: FieldMeta, value: EntityValue): string {
  switch (field.storage) {
    case "text":
      if (typeof value !== "string") fail(entity, field, `expected a string, got ${typeof value}`);
      if (field.kind === "enum" && !field.enumValues!.includes(value))
        fail(entity, field, `${value} is not a ${field.type}`);
      return value;
    case "bytea": {
      const hex = normalizeHex(value);
      if (hex === null) fail(entity, field, `expected 0x-hex bytes, got ${String(value)}`);
      return hex.slice(2);
    }
    case "numeric":
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
      if (typeof value === "string" && field.scalar === "BigDecimal" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value))
        return value;
      if (typeof value === "string" && /^-?\d+$/.test(value)) return value;
      return fail(entity, field, `expected a bigint, got ${typeof value} ${String(value)}`);
    case "int4":
      if (typeof value !== "number" || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
        fail(entity, field, `expected a 32-bit integer, got ${String(value)}`);
      }
      return String(value);
    case "int8":
      if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) return String(value);
      return fail(entity, field, `expected an integer, got ${String(value)}`);
    case "boolean":
      if (typeof value !== "boolean") fail(entity, field, `expected a boolean, got ${typeof value}`);
      return value ? "t" : "f";
  }
}

function arrayElement(storage: Storage, text: string): string {
  if (storage === "bytea") return `"\\\\x${text}"`;
  if (storage === "text") return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return text;
}

/** One field of a record as text for `castFromText`, or null. Validates type, nullability and enum values. */
export function fieldToText(entity: EntityMeta, field: FieldMeta, value: EntityValue | undefined): string | null {
  if (value === undefined || value === null) {
    if (field.nonNull) fail(entity, field, "is required");
    return null;
  }
  if (!field.list) return scalarToText(entity, field, value);
  if (!Array.isArray(value)) fail(entity, field, "expected a list");
  const parts = value.map((item) => {
    if (item === null || item === undefined) {
      if (field.itemNonNull) fail(entity, field, "list items may not be null");
      return "NULL";
    }
    return arrayElement(field.storage, scalarToText(entity, field, item));
  });
  return `{${parts.join(",")}}`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** A field in COPY's text format: the column type's input syntax, with backslash, tab, CR and LF escaped; \N = null. */
export function fieldToCopy(entity: EntityMeta, field: FieldMeta, value: EntityValue | undefined): string {
  const text = fieldToText(entity, field, value);
  if (text === null) return "\\N";
  const input = field.storage === "bytea" && !field.list ? `\\x${text}` : text;
  if (!COPY_SPECIAL.test(input)) return input;
  return input.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** A filter value as a text parameter (scalars) — the caller validated its type. */
export function paramText(storage: Storage, value: EntityValue): string {
  switch (storage) {
    case "bytea":
      return (value as string).slice(2).toLowerCase();
    case "boolean":
      return value ? "t" : "f";
    default:
      return typeof value === "string" ? value : String(value);
  }
}

function bytesToHex(value: unknown): string {
  if (value instanceof Uint8Array)
    return "0x" + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  if (typeof value === "string") {
    if (value.startsWith("\\x")) return "0x" + value.slice(2);
    return value;
  }
  throw new TypeError(`unexpected bytea value ${String(value)}`);
}

/** A text or numeric column's value: a string from both drivers (a number, were numeric ever parsed). */
function textOf(field: FieldMeta, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new TypeError(`unexpected ${field.storage} value for ${field.name} (${typeof value})`);
}

function decodeScalar(field: FieldMeta, value: unknown): EntityValue {
  if (value === null || value === undefined) return null;
  switch (field.storage) {
    case "text":
      return textOf(field, value);
    case "bytea":
      return bytesToHex(value);
    case "numeric":
      if (field.scalar === "BigDecimal") return textOf(field, value);
      return BigInt(value as string);
    case "int4":
      return typeof value === "number" ? value : Number(value);
    case "int8": {
      if (typeof value === "number") return value;
      const big = BigInt(value as string);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case "boolean":
      return typeof value === "boolean" ? value : value === "t" || value === "true";
  }
}

/** A database value of `field` as an EntityValue. */
export function decodeField(field: FieldMeta, value: unknown): EntityValue {
  if (value === null || value === undefined) return null;
  if (!field.list) return decodeScalar(field, value);
  if (!Array.isArray(value)) throw new TypeError(`${field.name}: expected an array from the database`);
  return value.map((item) => decodeScalar(field, item));
}

/** A row (keyed by column) as an entity record (keyed by field): every stored field, or only `columns`. */
export function decodeRow(
  entity: EntityMeta,
  row: Record<string, unknown>,
  columns: readonly FieldMeta[] = entity.columns,
): EntityRecord {
  const record: EntityRecord = {};
  for (const field of columns) record[field.name] = decodeField(field, row[field.column!]);
  return record;
}

/** The id of a record as the store keys it: strings as given, Bytes ids 0x-lowercase. */
export function normalizeId(entity: EntityMeta, id: unknown): string {
  if (entity.idType === "Bytes") {
    const hex = normalizeHex(id);
    if (hex === null) throw new EntityValidationError(entity.name, "id", `expected 0x-hex bytes, got ${String(id)}`);
    return hex;
  }
  if (entity.idType === "Int8") {
    if (typeof id === "number" || typeof id === "bigint") return String(id);
    if (typeof id === "string" && /^-?\d+$/.test(id)) return id;
    throw new EntityValidationError(entity.name, "id", `expected an integer, got ${String(id)}`);
  }
  if (typeof id !== "string") throw new EntityValidationError(entity.name, "id", `expected a string, got ${typeof id}`);
  return id;
}

/** The id as text for `castFromText` with the id column's storage. */
export function idText(entity: EntityMeta, id: string): string {
  return entity.idType === "Bytes" ? id.slice(2) : id;
}

/*//////////////////////////////////////////////////////////////
                   COMPILED ENCODERS (the write path)
//////////////////////////////////////////////////////////////*/

type CopyEncoder = (value: EntityValue | undefined) => string;

const LOWER_HEX_RE = /^0x(?:[0-9a-f]{2})*$/;

function escapeCopy(text: string): string {
  return COPY_SPECIAL.test(text)
    ? text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : text;
}

function copyEncoder(entity: EntityMeta, field: FieldMeta): CopyEncoder {
  const nullable = (encode: (v: EntityValue) => string): CopyEncoder =>
    field.nonNull
      ? (v) => (v === null || v === undefined ? fail(entity, field, "is required") : encode(v))
      : (v) => (v === null || v === undefined ? "\\N" : encode(v));
  if (field.list) return (v) => fieldToCopy(entity, field, v);
  switch (field.storage) {
    case "text": {
      if (field.kind === "enum") {
        const values = new Set(field.enumValues);
        return nullable((v) =>
          typeof v === "string" && values.has(v) ? v : fail(entity, field, `${String(v)} is not a ${field.type}`),
        );
      }
      return nullable((v) =>
        typeof v === "string" ? escapeCopy(v) : fail(entity, field, `expected a string, got ${typeof v}`),
      );
    }
    case "bytea":
      return nullable((v) => {
        if (typeof v === "string" && LOWER_HEX_RE.test(v)) return "\\\\x" + v.slice(2);
        const hex = normalizeHex(v);
        return hex === null ? fail(entity, field, `expected 0x-hex bytes, got ${String(v)}`) : "\\\\x" + hex.slice(2);
      });
    case "numeric":
      return nullable((v) => (typeof v === "bigint" ? v.toString() : scalarToText(entity, field, v)));
    case "int4":
      return nullable((v) => (typeof v === "number" && (v | 0) === v ? String(v) : scalarToText(entity, field, v)));
    case "int8":
      return nullable((v) =>
        typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))
          ? String(v)
          : scalarToText(entity, field, v),
      );
    case "boolean":
      return nullable((v) =>
        v === true ? "t" : v === false ? "f" : fail(entity, field, `expected a boolean, got ${typeof v}`),
      );
  }
}

export interface EntityCodec {
  /** Names of the stored fields: what a record may hold. */
  readonly fieldNames: ReadonlySet<string>;
  /** One row in COPY's text format (no trailing newline): the fields, then block_from and block_to. */
  copyLine(record: EntityRecord, from: number, to: number | null): string;
}

const codecs = new WeakMap<EntityMeta, EntityCodec>();

/** The entity's compiled encoders (built once per entity model). */
export function entityCodec(entity: EntityMeta): EntityCodec {
  let codec = codecs.get(entity);
  if (!codec) {
    const names = entity.columns.map((c) => c.name);
    const encoders = entity.columns.map((c) => copyEncoder(entity, c));
    const n = names.length;
    codec = {
      fieldNames: new Set(names),
      copyLine(record, from, to) {
        let line = "";
        for (let i = 0; i < n; i++) line += encoders[i](record[names[i]]) + "\t";
        return line + from + "\t" + (to === null ? "\\N" : to);
      },
    };
    codecs.set(entity, codec);
  }
  return codec;
}
