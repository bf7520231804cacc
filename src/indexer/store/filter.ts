// The Graph's query dialect → parametrised SQL over the versioned entity tables.
//
//   where:   field (equality; null → IS NULL), field_not, _gt, _gte, _lt, _lte, _in, _not_in, _contains,
//            _not_contains, _starts_with, _not_starts_with, _ends_with, _not_ends_with (+ _nocase variants on
//            strings), list fields: field (equal), _not, _contains / _not_contains (array contains all given),
//            nested `ref_: {…}` on references and @derivedFrom fields, `and: […]`, `or: […]`,
//            `_change_block: { number_gte }` (versions that started at or after a block).
//   orderBy: a field, or `ref__field` (a field of a referenced entity); ties broken by id.
//   first (default 100, at most 1000), skip, block (time travel: the state as of that block, inclusive).
//
// Identifiers only ever come from the schema model (a name the caller gives is looked up first and rejected
// with a typed error if unknown); every value is a parameter.

import type { EntityMeta, EntityModel, FieldMeta, Storage } from "../schema/model";
import { castFromText, ident, normalizeHex, paramText } from "./codec";
import type { SqlParam } from "./driver";
import { qualified } from "./ddl";
import {
  InvalidFilterValueError,
  QueryArgumentError,
  StoreError,
  UnknownEntityError,
  UnknownFieldError,
  UnknownOperatorError,
} from "./errors";
import { checkQueryRange, DEFAULT_QUERY_LIMITS, type QueryLimits } from "./limits";
import type { EntityQuery, EntityValue, WhereFilter } from "./types";

export { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./limits";

const OPERATORS = [
  "_not_contains_nocase",
  "_not_starts_with_nocase",
  "_not_ends_with_nocase",
  "_contains_nocase",
  "_starts_with_nocase",
  "_ends_with_nocase",
  "_not_starts_with",
  "_not_ends_with",
  "_not_contains",
  "_starts_with",
  "_ends_with",
  "_contains",
  "_not_in",
  "_not",
  "_gte",
  "_lte",
  "_gt",
  "_lt",
  "_in",
] as const;
type Operator = "" | (typeof OPERATORS)[number];

const EQUALITY: Operator[] = ["", "_not", "_in", "_not_in"];
const ORDERED: Operator[] = [...EQUALITY, "_gt", "_gte", "_lt", "_lte"];
const STRING_MATCH: Operator[] = [
  "_contains",
  "_not_contains",
  "_starts_with",
  "_not_starts_with",
  "_ends_with",
  "_not_ends_with",
];
const NOCASE: Operator[] = STRING_MATCH.map((op) => `${op}_nocase` as Operator);

function allowedOperators(field: FieldMeta): ReadonlySet<Operator> {
  if (field.list) return new Set<Operator>(["", "_not", "_contains", "_not_contains"]);
  if (field.kind === "enum" || field.storage === "boolean") return new Set(EQUALITY);
  if (field.storage === "text") return new Set([...ORDERED, ...STRING_MATCH, ...NOCASE]);
  if (field.storage === "bytea") return new Set([...ORDERED, ...STRING_MATCH]);
  return new Set(ORDERED);
}

class Params {
  readonly values: SqlParam[] = [];
  add(value: SqlParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A scalar in the column's type. */
  scalar(storage: Storage, text: string): string {
    return castFromText(`${this.add(text)}::text`, storage, false);
  }
  /** An array of scalars in the column's element type. */
  array(storage: Storage, texts: string[]): string {
    const p = `${this.add(texts)}::text[]`;
    if (storage === "text") return p;
    if (storage === "bytea") return `ARRAY(SELECT decode(x, 'hex') FROM unnest(${p}) AS x)`;
    return `${p}::${storage}[]`;
  }
  int(n: number): string {
    return `(${this.add(String(n))}::text)::int8`;
  }
  /**
   * A row count (LIMIT/OFFSET, checked by checkQueryRange) as a constant rather than a parameter: with the count in
   * the text, the plan cache's generic plan of a prepared read (prepared.ts) costs what its custom plans do and is
   * kept, where an unknown LIMIT made PostgreSQL re-plan every run (payments of a deal: 278 vs 182 µs on PGlite).
   */
  count(n: number): string {
    if (!Number.isSafeInteger(n) || n < 0) throw new StoreError(`a row count must be a non-negative integer, got ${n}`);
    return String(n);
  }
}

/** Translation state for one query: the schema, the parameters, the block visibility and alias numbering. */
class Translator {
  readonly params = new Params();
  private aliases = 0;
  private readonly blockParam: string | null;

  constructor(
    readonly model: EntityModel,
    readonly schema: string,
    block: number | undefined,
  ) {
    this.blockParam = block === undefined ? null : this.params.int(block);
  }

  /** The `block` parameter's placeholder; null for the latest versions. */
  blockParameter(): string | null {
    return this.blockParam;
  }

  alias(): string {
    return `t${this.aliases++}`;
  }

  table(entity: EntityMeta): string {
    return qualified(this.schema, entity.table);
  }

  visible(alias: string): string {
    if (this.blockParam === null) return `${alias}.block_to IS NULL`;
    return `${alias}.block_from <= ${this.blockParam} AND (${alias}.block_to IS NULL OR ${alias}.block_to > ${this.blockParam})`;
  }

  where(entity: EntityMeta, alias: string, where: unknown, path: string): string {
    if (where === undefined || where === null) return "TRUE";
    if (typeof where !== "object" || Array.isArray(where)) {
      throw new InvalidFilterValueError(entity.name, path || "where", "a filter must be an object");
    }
    const parts: string[] = [];
    for (const [key, value] of Object.entries(where as WhereFilter)) {
      if (value === undefined) continue;
      parts.push(this.condition(entity, alias, key, value));
    }
    return parts.length === 0 ? "TRUE" : parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`;
  }

  private condition(entity: EntityMeta, alias: string, key: string, value: unknown): string {
    if (key === "and" || key === "or") {
      if (!Array.isArray(value))
        throw new InvalidFilterValueError(entity.name, key, `\`${key}\` takes a list of filters`);
      if (value.length === 0) return "TRUE";
      const parts = value.map((w) => `(${this.where(entity, alias, w, key)})`);
      return `(${parts.join(key === "and" ? " AND " : " OR ")})`;
    }
    if (key === "_change_block") {
      const gte = (value as { number_gte?: unknown } | null)?.number_gte;
      if (typeof gte !== "number" || !Number.isSafeInteger(gte) || gte < 0) {
        throw new InvalidFilterValueError(entity.name, key, "expected { number_gte: <block number> }");
      }
      return `${alias}.block_from >= ${this.params.int(gte)}`;
    }
    const { field, operator, nested } = this.parseKey(entity, key);
    if (nested) return this.nested(entity, alias, field, value);
    if (field.derivedFrom !== undefined) {
      throw new UnknownOperatorError(entity.name, field.name, operator || "(equality)", key);
    }
    if (!allowedOperators(field).has(operator))
      throw new UnknownOperatorError(entity.name, field.name, operator || "(equality)", key);
    return this.compare(entity, alias, field, operator, value);
  }

  private parseKey(entity: EntityMeta, key: string): { field: FieldMeta; operator: Operator; nested: boolean } {
    const exact = entity.field(key);
    if (exact) return { field: exact, operator: "", nested: false };
    for (const op of OPERATORS) {
      if (key.endsWith(op)) {
        const field = entity.field(key.slice(0, -op.length));
        if (field) return { field, operator: op, nested: false };
      }
    }
    if (key.endsWith("_")) {
      const field = entity.field(key.slice(0, -1));
      if (field) {
        if (field.kind !== "entity") throw new UnknownOperatorError(entity.name, field.name, "_", key);
        return { field, operator: "", nested: true };
      }
    }
    // The longest field name the key starts with: then the rest is an unknown operator.
    let best: FieldMeta | undefined;
    for (const f of entity.fields) {
      if (key.startsWith(`${f.name}_`) && (!best || f.name.length > best.name.length)) best = f;
    }
    if (best) throw new UnknownOperatorError(entity.name, best.name, key.slice(best.name.length), key);
    const op = OPERATORS.find((o) => key.endsWith(o));
    throw new UnknownFieldError(entity.name, op ? key.slice(0, -op.length) : key);
  }

  private nested(entity: EntityMeta, alias: string, field: FieldMeta, value: unknown): string {
    const target = this.model.entity(field.type)!;
    const inner = this.alias();
    let join: string;
    if (field.derivedFrom !== undefined) {
      const back = target.field(field.derivedFrom)!;
      join = back.list
        ? `${alias}.id = ANY(${inner}.${ident(back.column!)})`
        : `${inner}.${ident(back.column!)} = ${alias}.id`;
    } else if (field.list) {
      join = `${inner}.id = ANY(${alias}.${ident(field.column!)})`;
    } else {
      join = `${inner}.id = ${alias}.${ident(field.column!)}`;
    }
    const cond = this.where(target, inner, value, `${field.name}_`);
    return `EXISTS (SELECT 1 FROM ${this.table(target)} AS ${inner} WHERE ${join} AND ${this.visible(inner)} AND ${cond})`;
  }

  private scalarText(entity: EntityMeta, field: FieldMeta, value: unknown): string {
    const bad = (expected: string): never => {
      throw new InvalidFilterValueError(entity.name, field.name, `expected ${expected}, got ${describe(value)}`);
    };
    switch (field.storage) {
      case "text":
        if (typeof value !== "string") return bad("a string");
        if (field.kind === "enum" && !field.enumValues!.includes(value))
          return bad(`one of ${field.enumValues!.join(", ")}`);
        return value;
      case "bytea": {
        const hex = normalizeHex(value);
        if (hex === null) return bad("0x-prefixed hex bytes");
        return paramText("bytea", hex);
      }
      case "boolean":
        if (typeof value !== "boolean") return bad("a boolean");
        return paramText("boolean", value);
      case "numeric":
        if (typeof value === "bigint") return value.toString();
        if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
        if (typeof value === "string" && /^-?\d+$/.test(value)) return value;
        if (typeof value === "string" && field.scalar === "BigDecimal" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value))
          return value;
        return bad(field.scalar === "BigDecimal" ? "a decimal number" : "an integer (BigInt)");
      case "int4":
      case "int8": {
        const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
        if (typeof n === "bigint") return n.toString();
        if (typeof n !== "number" || !Number.isSafeInteger(n)) return bad("an integer");
        if (field.storage === "int4" && (n < -2147483648 || n > 2147483647)) return bad("a 32-bit integer");
        return String(n);
      }
    }
  }

  private compare(entity: EntityMeta, alias: string, field: FieldMeta, op: Operator, value: unknown): string {
    const col = `${alias}.${ident(field.column!)}`;
    const p = this.params;
    const storage = field.storage;

    if (field.list) {
      if (value === null) {
        if (op === "") return `${col} IS NULL`;
        if (op === "_not") return `${col} IS NOT NULL`;
        throw new InvalidFilterValueError(entity.name, field.name, `\`${op}\` needs a list`);
      }
      const items = Array.isArray(value) ? value : [value];
      const arr = p.array(
        storage,
        items.map((v) => this.scalarText(entity, field, v)),
      );
      switch (op) {
        case "":
          return `${col} = ${arr}`;
        case "_not":
          return `${col} <> ${arr}`;
        case "_contains":
          return `${col} @> ${arr}`;
        case "_not_contains":
          return `NOT (${col} @> ${arr})`;
        default:
          throw new UnknownOperatorError(entity.name, field.name, op, field.name + op);
      }
    }

    if (op === "_in" || op === "_not_in") {
      if (!Array.isArray(value)) throw new InvalidFilterValueError(entity.name, field.name, `\`${op}\` takes a list`);
      if (value.length === 0) return op === "_in" ? "FALSE" : "TRUE";
      const arr = p.array(
        storage,
        value.map((v) => this.scalarText(entity, field, v)),
      );
      return op === "_in" ? `${col} = ANY(${arr})` : `NOT (${col} = ANY(${arr}))`;
    }
    if (value === null) {
      if (op === "") return `${col} IS NULL`;
      if (op === "_not") return `${col} IS NOT NULL`;
      throw new InvalidFilterValueError(entity.name, field.name, `\`${op}\` does not take null`);
    }
    const v = p.scalar(storage, this.scalarText(entity, field, value));
    switch (op) {
      case "":
        return `${col} = ${v}`;
      case "_not":
        return `${col} <> ${v}`;
      case "_gt":
        return `${col} > ${v}`;
      case "_gte":
        return `${col} >= ${v}`;
      case "_lt":
        return `${col} < ${v}`;
      case "_lte":
        return `${col} <= ${v}`;
    }
    const negate = op.startsWith("_not_");
    const nocase = op.endsWith("_nocase");
    const kind = op.replace(/^_not/, "").replace(/_nocase$/, "");
    let expr: string;
    if (storage === "bytea") {
      if (kind === "_contains") expr = `position(${v} IN ${col}) > 0`;
      else if (kind === "_starts_with") expr = `substring(${col} FROM 1 FOR length(${v})) = ${v}`;
      else
        expr = `(length(${col}) >= length(${v}) AND substring(${col} FROM length(${col}) - length(${v}) + 1) = ${v})`;
    } else {
      const c = nocase ? `lower(${col})` : col;
      const x = nocase ? `lower(${v})` : v;
      if (kind === "_contains") expr = `strpos(${c}, ${x}) > 0`;
      else if (kind === "_starts_with") expr = `starts_with(${c}, ${x})`;
      else expr = `right(${c}, length(${x})) = ${x}`;
    }
    return negate ? `NOT (${expr})` : expr;
  }

  /** `_exists_<column>` for each reference: whether the entity it names is visible at the query's block. */
  existsColumns(alias: string, refs: FieldMeta[]): string {
    return refs
      .map((f) => {
        const target = this.model.entity(f.type)!;
        const inner = this.alias();
        return (
          `, EXISTS (SELECT 1 FROM ${this.table(target)} AS ${inner} WHERE ${inner}.id = ${alias}.${ident(f.column!)}` +
          ` AND ${this.visible(inner)}) AS ${ident(`_exists_${f.column!}`)}`
        );
      })
      .join("");
  }

  /** The SQL expression to sort by. */
  orderExpression(entity: EntityMeta, alias: string, orderBy: string): string {
    const sortable = (e: EntityMeta, f: FieldMeta | undefined, name: string): FieldMeta => {
      if (!f) throw new UnknownFieldError(e.name, name, "orderBy");
      if (f.derivedFrom !== undefined || f.list) {
        throw new QueryArgumentError(
          "orderBy",
          `Cannot order \`${e.name}\` by \`${name}\`: lists and derived fields are not sortable`,
        );
      }
      return f;
    };
    const split = orderBy.indexOf("__");
    if (split > 0) {
      const parentName = orderBy.slice(0, split);
      const childName = orderBy.slice(split + 2);
      const parent = sortable(entity, entity.field(parentName), parentName);
      if (parent.kind !== "entity") {
        throw new QueryArgumentError(
          "orderBy",
          `\`${entity.name}.${parentName}\` is not a reference: cannot order by \`${orderBy}\``,
        );
      }
      const target = this.model.entity(parent.type)!;
      const child = sortable(target, target.field(childName), childName);
      const inner = this.alias();
      return `(SELECT ${inner}.${ident(child.column!)} FROM ${this.table(target)} AS ${inner} WHERE ${inner}.id = ${alias}.${ident(parent.column!)} AND ${this.visible(inner)} LIMIT 1)`;
    }
    const field = sortable(entity, entity.field(orderBy), orderBy);
    return `${alias}.${ident(field.column!)}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === "object" ? "an object" : typeof value;
}

export interface CompiledQuery {
  entity: EntityMeta;
  /** The fields each row holds, in order (id first). */
  columns: FieldMeta[];
  /** References each row reports the existence of, in `_exists_<column>` (ProjectedQuery.exists). */
  exists: FieldMeta[];
  sql: string;
  params: SqlParam[];
  /** The child lists each row carries (compileGet's `children`), in `_child_<n>` as JSON arrays of text. */
  children?: CompiledQuery[];
}

/**
 * One list read beside a get(), in the same statement: the entities of `query` whose `link` reference is the read
 * entity (a @derivedFrom field, as the API's `deal(id) { payments { … } }`), with their own filter, order, range and
 * selection. The parent's block applies (`query.block` is ignored).
 */
export interface ChildQuery {
  query: ProjectedQuery;
  link: string;
}

function checkBlock(block: number | undefined): void {
  if (block !== undefined && (!Number.isSafeInteger(block) || block < 0)) {
    throw new QueryArgumentError("block", `\`block\` must be a non-negative block number, got ${String(block)}`);
  }
}

/**
 * A read that names the fields its caller needs (`select`): only their columns (and id) are read and decoded, which
 * is most of a list's cost on a wide entity (a Deal has 40 columns; a solver's list asks for five). Without `select`,
 * every stored field. Names that are not stored fields (derived ones, `__typename`) are ignored.
 */
export interface ProjectedQuery extends EntityQuery {
  select?: readonly string[];
  /**
   * References (non-list, not derived) whose target's existence at the query's block each row reports, as the
   * boolean `<field>@exists` (see existsKey): a query that selects only `{ id }` below a reference needs no read
   * of the referenced entity beyond that, so the list and its references take one statement.
   */
  exists?: readonly string[];
}

/** The record key under which a row reports whether its `field` reference exists (ProjectedQuery.exists). */
export const existsKey = (field: string): string => `${field}@exists`;

/** The columns a read returns: id first, then the selected stored fields (all of them without `select`). */
/** The references of `names` whose existence a row can report (non-list, not derived). */
function existsFields(entity: EntityMeta, names?: readonly string[]): FieldMeta[] {
  if (!names?.length) return [];
  const wanted = new Set(names);
  return entity.columns.filter((f) => f.kind === "entity" && !f.list && wanted.has(f.name));
}

export function projectedColumns(entity: EntityMeta, select?: readonly string[]): FieldMeta[] {
  if (select === undefined) return entity.columns;
  const wanted = new Set(select);
  return entity.columns.filter((c, i) => i === 0 || wanted.has(c.name));
}

export function selectColumns(entity: EntityMeta, alias: string, columns: FieldMeta[] = entity.columns): string {
  return columns.map((c) => `${alias}.${ident(c.column!)}`).join(", ");
}

export function lookupEntity(model: EntityModel, name: string): EntityMeta {
  const entity = model.entity(name);
  if (!entity) throw new UnknownEntityError(name);
  return entity;
}

/** Compiles a find() query. Throws StoreQueryError subclasses for anything the caller got wrong. */
export function compileFind(
  model: EntityModel,
  schema: string,
  query: ProjectedQuery,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): CompiledQuery {
  return compileFindLinked(model, schema, query, limits);
}

/**
 * find() for many parents in one statement: `query` once per parent id, restricted to the rows whose `link` field
 * (a non-list reference) equals that id, each with its own order, `first` and `skip` (a LATERAL join over the ids).
 * Rows carry `_parent`, the 1-based position of their parent in `parents`; within a parent they come in order.
 */
export function compileFindByParents(
  model: EntityModel,
  schema: string,
  query: ProjectedQuery,
  link: string,
  parents: readonly string[],
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): CompiledQuery {
  const field = linkField(model, query.entity, link);
  const target = lookupEntity(model, field.type);
  const idField = target.field("id")!;
  return compileFindLinked(model, schema, query, limits, {
    field,
    texts: parents.map((id) => idTextFor(target, idField, id)),
  });
}

function compileFindLinked(
  model: EntityModel,
  schema: string,
  query: ProjectedQuery,
  limits: QueryLimits,
  link?: { field: FieldMeta; texts?: string[]; outer?: { t: Translator; parentId: string } },
): CompiledQuery {
  const entity = lookupEntity(model, query.entity);
  const exists = existsFields(entity, query.exists);
  const columns = projectedColumns(entity, query.select && [...query.select, ...exists.map((f) => f.name)]);
  const { first, skip } = checkQueryRange(limits, query);
  const direction = query.orderDirection ?? "asc";
  if (direction !== "asc" && direction !== "desc") {
    throw new QueryArgumentError("orderDirection", `\`orderDirection\` must be asc or desc, got ${String(direction)}`);
  }
  checkBlock(query.block);
  // A child of a get() shares its translator: its parameters, aliases and block.
  const t = link?.outer?.t ?? new Translator(model, schema, query.block);
  const alias = t.alias();
  const parents = link?.texts ? t.params.add(link.texts) : undefined;
  const linked = !link
    ? undefined
    : link.outer
      ? `${alias}.${ident(link.field.column!)} = ${link.outer.parentId}`
      : `${alias}.${ident(link.field.column!)} = ${castFromText("_p.id", link.field.storage, false)}`;
  const filtered = t.where(entity, alias, query.where, "");
  const where = linked ? `${linked} AND ${filtered}` : filtered;
  const perParent = (sql: string): CompiledQuery => ({
    entity,
    columns,
    exists,
    sql: parents
      ? `SELECT _p.n AS _parent, x.* FROM unnest(${parents}::text[]) WITH ORDINALITY AS _p(id, n)` +
        ` CROSS JOIN LATERAL (${sql}) AS x`
      : sql,
    params: t.params.values,
  });
  const dir = direction === "asc" ? "ASC" : "DESC";
  const orderExpr =
    query.orderBy !== undefined && query.orderBy !== "id" ? t.orderExpression(entity, alias, query.orderBy) : undefined;
  const order: string[] = [];
  if (orderExpr !== undefined) order.push(`${orderExpr} ${dir}`);
  order.push(`${alias}.id ${dir}`);
  const block = t.blockParameter();
  if (block === null || entity.immutable) {
    const sql =
      `SELECT ${selectColumns(entity, alias, columns)}${t.existsColumns(alias, exists)}` +
      ` FROM ${t.table(entity)} AS ${alias}` +
      ` WHERE ${t.visible(alias)} AND ${where}` +
      ` ORDER BY ${order.join(", ")}` +
      ` LIMIT ${t.params.count(first)} OFFSET ${t.params.count(skip)}`;
    return perParent(sql);
  }
  // As of a block (the API pins every read to one, usually the latest checkpoint): the versions visible at B are
  // the open ones that started by B, plus the closed ones that were still valid at B. Two branches instead of
  // `block_to IS NULL OR block_to > B`, so the first can use the `block_to IS NULL` partial indexes (in the
  // filter's and order's column order) and the second the block_to index (at the latest block it is empty);
  // each returns its first skip + first rows in order, and the union is ordered and cut again.
  const top = t.params.count(first + skip);
  const ord = orderExpr !== undefined ? `, ${orderExpr} AS _ord` : "";
  const branch = (visible: string): string =>
    `(SELECT ${selectColumns(entity, alias, columns)}${t.existsColumns(alias, exists)}${ord} FROM ${t.table(entity)} AS ${alias}` +
    ` WHERE ${visible} AND ${alias}.block_from <= ${block} AND ${where}` +
    ` ORDER BY ${order.join(", ")} LIMIT ${top})`;
  const outerOrder = [...(orderExpr !== undefined ? [`u._ord ${dir}`] : []), `u.id ${dir}`];
  const sql =
    `SELECT ${selectColumns(entity, "u", [...columns, ...exists.map((f) => ({ ...f, column: `_exists_${f.column!}` }))])}` +
    ` FROM (${branch(`${alias}.block_to IS NULL`)}` +
    ` UNION ALL ${branch(`${alias}.block_to > ${block}`)}) AS u` +
    ` ORDER BY ${outerOrder.join(", ")}` +
    ` LIMIT ${t.params.count(first)} OFFSET ${t.params.count(skip)}`;
  return perParent(sql);
}

/** Compiles get(entity, id, block?). */
export function compileGet(
  model: EntityModel,
  schema: string,
  entityName: string,
  id: EntityValue,
  block?: number,
  select?: readonly string[],
  existsOf?: readonly string[],
  childQueries?: readonly ChildQuery[],
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): CompiledQuery {
  const entity = lookupEntity(model, entityName);
  const exists = existsFields(entity, existsOf);
  const columns = projectedColumns(entity, select && [...select, ...exists.map((f) => f.name)]);
  checkBlock(block);
  const t = new Translator(model, schema, block);
  const alias = t.alias();
  const idField = entity.field("id")!;
  const idParam = t.params.scalar(idField.storage, idTextFor(entity, idField, id));
  const children = (childQueries ?? []).map(({ query, link }) =>
    compileFindLinked(model, schema, { ...query, block: undefined }, limits, {
      field: linkField(model, query.entity, link),
      outer: { t, parentId: `${alias}.id` },
    }),
  );
  const childColumns = children.map((child, n) => {
    // Every value as text (a JSON number would round a uint256), decoded as the driver's text would be.
    const c = `c${n}`;
    const values = [
      ...child.columns,
      ...child.exists.map((f) => ({ ...f, column: `_exists_${f.column!}`, list: false })),
    ]
      .map((f) => (f.list ? `to_json(${c}.${ident(f.column!)}::text[])` : `${c}.${ident(f.column!)}::text`))
      .join(", ");
    return (
      `, (SELECT COALESCE(json_agg(json_build_array(${values})), '[]'::json) FROM (${child.sql}) AS ${c})` +
      ` AS ${ident(`_child_${n}`)}`
    );
  });
  const sql =
    `SELECT ${selectColumns(entity, alias, columns)}${t.existsColumns(alias, exists)}${childColumns.join("")}` +
    ` FROM ${t.table(entity)} AS ${alias}` +
    ` WHERE ${alias}.id = ${idParam} AND ${t.visible(alias)} LIMIT 1`;
  return { entity, columns, exists, sql, params: t.params.values, ...(children.length ? { children } : {}) };
}

/** `entity.link`, checked to be a reference (not a list, not derived) that child lists can be linked by. */
function linkField(model: EntityModel, entityName: string, link: string): FieldMeta {
  const entity = lookupEntity(model, entityName);
  const field = entity.field(link);
  if (!field || field.kind !== "entity" || field.list || field.derivedFrom !== undefined) {
    throw new QueryArgumentError("where", `\`${entity.name}.${link}\` is not a reference to batch by`);
  }
  return field;
}

function idTextFor(entity: EntityMeta, idField: FieldMeta, id: EntityValue): string {
  if (idField.storage === "bytea") {
    const hex = normalizeHex(id);
    if (hex === null)
      throw new InvalidFilterValueError(entity.name, "id", `expected 0x-prefixed hex bytes, got ${describe(id)}`);
    return hex.slice(2);
  }
  if (idField.storage === "int8") {
    if (typeof id === "bigint" || (typeof id === "number" && Number.isSafeInteger(id))) return String(id);
    if (typeof id === "string" && /^-?\d+$/.test(id)) return id;
    throw new InvalidFilterValueError(entity.name, "id", `expected an integer, got ${describe(id)}`);
  }
  if (typeof id !== "string")
    throw new InvalidFilterValueError(entity.name, "id", `expected a string, got ${describe(id)}`);
  return id;
}
