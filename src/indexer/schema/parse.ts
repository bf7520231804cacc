// Parses the entity schema (The Graph's dialect: `type X @entity(immutable: …)`, enums, `@derivedFrom`) with
// graphql-js into the EntityModel.

import { createHash } from "node:crypto";
import {
  Kind,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type TypeNode,
} from "graphql";
import {
  EntitySchemaError,
  GRAPH_SCALARS,
  SYSTEM_COLUMNS,
  type EntityMeta,
  type EntityModel,
  type EnumMeta,
  type FieldKind,
  type FieldMeta,
  type GraphScalar,
  type IdType,
  type Storage,
} from "./model";

/** camelCase / PascalCase → snake_case: `DealStateChange` → `deal_state_change`, `createdAtBlock` → `created_at_block`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

const SCALAR_STORAGE: Record<GraphScalar, Storage> = {
  ID: "text",
  String: "text",
  Int: "int4",
  Boolean: "boolean",
  BigInt: "numeric",
  BigDecimal: "numeric",
  Bytes: "bytea",
  Int8: "int8",
  Timestamp: "int8",
};

interface RawType {
  type: string;
  list: boolean;
  nonNull: boolean;
  itemNonNull: boolean;
}

function unwrapType(where: string, node: TypeNode): RawType {
  let nonNull = false;
  let current = node;
  if (current.kind === Kind.NON_NULL_TYPE) {
    nonNull = true;
    current = current.type;
  }
  if (current.kind === Kind.LIST_TYPE) {
    let inner = current.type;
    let itemNonNull = false;
    if (inner.kind === Kind.NON_NULL_TYPE) {
      itemNonNull = true;
      inner = inner.type;
    }
    if (inner.kind !== Kind.NAMED_TYPE) throw new EntitySchemaError(`${where}: nested lists are not supported`);
    return { type: inner.name.value, list: true, nonNull, itemNonNull };
  }
  return { type: current.name.value, list: false, nonNull, itemNonNull: false };
}

function directive(nodes: readonly ConstDirectiveNode[] | undefined, name: string): ConstDirectiveNode | undefined {
  return nodes?.find((d) => d.name.value === name);
}

function directiveArg(node: ConstDirectiveNode, name: string): string | boolean | undefined {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  const value = arg.value;
  if (value.kind === Kind.STRING || value.kind === Kind.ENUM) return value.value;
  if (value.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}

function idTypeOf(scalar: string, where: string): IdType {
  if (scalar === "ID" || scalar === "String") return "String";
  if (scalar === "Bytes") return "Bytes";
  if (scalar === "Int8") return "Int8";
  throw new EntitySchemaError(`${where}: illegal id type ${scalar} (ID, String, Bytes or Int8)`);
}

/** Parses an entity schema into the model. Throws EntitySchemaError on anything the store cannot represent. */
export function parseEntitySchema(sdl: string): EntityModel {
  let doc: DocumentNode;
  try {
    doc = parse(sdl, { noLocation: true });
  } catch (error) {
    throw new EntitySchemaError(`entity schema does not parse: ${(error as Error).message}`);
  }

  const enums: EnumMeta[] = [];
  const objects: { name: string; description?: string; immutable: boolean; fields: readonly FieldDefinitionNode[] }[] =
    [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      enums.push({
        name: def.name.value,
        description: def.description?.value,
        values: (def.values ?? []).map((v) => ({ name: v.name.value, description: v.description?.value })),
      });
    } else if (def.kind === Kind.OBJECT_TYPE_DEFINITION) {
      const entity = directive(def.directives, "entity");
      if (!entity) throw new EntitySchemaError(`type ${def.name.value} lacks @entity`);
      objects.push({
        name: def.name.value,
        description: def.description?.value,
        immutable: directiveArg(entity, "immutable") === true,
        fields: def.fields ?? [],
      });
    } else if (def.kind === Kind.INTERFACE_TYPE_DEFINITION || def.kind === Kind.UNION_TYPE_DEFINITION) {
      throw new EntitySchemaError(`${def.name.value}: interfaces and unions are not supported`);
    }
  }

  const enumsByName = new Map(enums.map((e) => [e.name, e]));
  const objectNames = new Set(objects.map((o) => o.name));
  const scalars = new Set<string>(GRAPH_SCALARS);

  // The id scalar of every entity first: references store the target's id.
  const idScalars = new Map<string, GraphScalar>();
  for (const o of objects) {
    const idField = o.fields.find((f) => f.name.value === "id");
    if (!idField) throw new EntitySchemaError(`${o.name}: missing id field`);
    const t = unwrapType(`${o.name}.id`, idField.type);
    if (t.list || !t.nonNull || !scalars.has(t.type))
      throw new EntitySchemaError(`${o.name}: id must be a non-null scalar`);
    idTypeOf(t.type, `${o.name}.id`);
    idScalars.set(o.name, t.type as GraphScalar);
  }

  const tables = new Set<string>();
  const entities: EntityMeta[] = objects.map((o) => {
    const table = snakeCase(o.name);
    if (table.startsWith("_")) throw new EntitySchemaError(`${o.name}: entity names may not start with _`);
    if (tables.has(table)) throw new EntitySchemaError(`${o.name}: table name ${table} is taken by another entity`);
    tables.add(table);
    const columns = new Set<string>(SYSTEM_COLUMNS);
    const fields: FieldMeta[] = o.fields.map((f) => {
      const where = `${o.name}.${f.name.value}`;
      const t = unwrapType(where, f.type);
      let kind: FieldKind;
      let scalar: GraphScalar;
      let enumValues: string[] | undefined;
      if (scalars.has(t.type)) {
        kind = "scalar";
        scalar = t.type as GraphScalar;
      } else if (enumsByName.has(t.type)) {
        kind = "enum";
        scalar = "String";
        enumValues = enumsByName.get(t.type)!.values.map((v) => v.name);
      } else if (objectNames.has(t.type)) {
        kind = "entity";
        scalar = idScalars.get(t.type)!;
      } else {
        throw new EntitySchemaError(`${where}: unknown type ${t.type}`);
      }
      const derived = directive(f.directives, "derivedFrom");
      let derivedFrom: string | undefined;
      if (derived) {
        if (kind !== "entity") throw new EntitySchemaError(`${where}: @derivedFrom on a non-entity field`);
        const arg = directiveArg(derived, "field");
        if (typeof arg !== "string" || arg === "")
          throw new EntitySchemaError(`${where}: @derivedFrom needs field: "…"`);
        derivedFrom = arg;
      }
      let column: string | undefined;
      if (derivedFrom === undefined) {
        column = snakeCase(f.name.value);
        if (!/^[a-z_][a-z0-9_]*$/.test(column) || column.length > 63) {
          throw new EntitySchemaError(`${where}: cannot map to a SQL column (${column})`);
        }
        if (columns.has(column)) throw new EntitySchemaError(`${where}: column ${column} clashes with another column`);
        columns.add(column);
      }
      const meta: FieldMeta = {
        name: f.name.value,
        description: f.description?.value,
        type: t.type,
        kind,
        list: t.list,
        nonNull: t.nonNull,
        itemNonNull: t.itemNonNull,
        derivedFrom,
        column,
        storage: SCALAR_STORAGE[scalar],
        scalar,
        enumValues,
      };
      return meta;
    });
    const byName = new Map(fields.map((f) => [f.name, f]));
    const idField = byName.get("id")!;
    const stored = fields.filter((f) => f.derivedFrom === undefined);
    return {
      name: o.name,
      description: o.description,
      immutable: o.immutable,
      idType: idTypeOf(idField.scalar, `${o.name}.id`),
      fields,
      field: (name: string) => byName.get(name),
      table,
      columns: [idField, ...stored.filter((f) => f !== idField)],
    };
  });

  const entitiesByName = new Map(entities.map((e) => [e.name, e]));
  for (const entity of entities) {
    for (const field of entity.fields) {
      if (!field.derivedFrom) continue;
      const child = entitiesByName.get(field.type)!;
      const back = child.field(field.derivedFrom);
      if (!back || back.kind !== "entity" || back.type !== entity.name || back.derivedFrom !== undefined) {
        throw new EntitySchemaError(
          `${entity.name}.${field.name}: @derivedFrom(field: "${field.derivedFrom}") is not a stored reference from ${child.name} to ${entity.name}`,
        );
      }
    }
  }

  const canonical = entities.map((e) => ({
    table: e.table,
    immutable: e.immutable,
    columns: e.columns.map((c) => [c.column, c.storage, c.list, c.nonNull]),
  }));
  const fingerprint = createHash("sha256").update(JSON.stringify(canonical)).digest("hex");

  return {
    entities,
    enums,
    entity: (name) => entitiesByName.get(name),
    enumType: (name) => enumsByName.get(name),
    fingerprint,
  };
}
