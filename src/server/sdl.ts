// Generates the query schema (SDL) from the entity model, following graph-node's API schema generation
// (graph/src/schema/api.rs): `<entity>`/`<entities>` query fields, `<Entity>_filter` inputs with the operators
// graph-node allows per field type, `<Entity>_orderBy` enums including one level of child fields, collection
// arguments on list fields that reference entities, `Block_height`, `_meta`. The Subscription type is Accord's own
// (graph-node's mirrors Query and is deprecated).

import type { EntityMeta, EntityModel, FieldMeta } from "./entities";
import { pluralField, singularField } from "./naming";

/** A key of an `<Entity>_filter` input: the field it filters and the operator (`""` for equality). */
export interface FilterKey {
  field: FieldMeta;
  op: string;
  /** `field_`: a nested filter on the referenced (or deriving) entity. */
  nested: boolean;
}

export interface EntityApi {
  entity: EntityMeta;
  /** Query field for one entity, e.g. `deal`. */
  singular: string;
  /** Query field for the collection, e.g. `deals`. */
  plural: string;
  /** Subscription field for single changes, e.g. `dealChanged`. */
  changed: string;
  filterKeys: Map<string, FilterKey>;
  orderByValues: string[];
}

export interface ApiSdl {
  sdl: string;
  apis: Map<string, EntityApi>;
}

const RESERVED = new Set([
  "Query",
  "Subscription",
  "Mutation",
  "_Meta_",
  "_Block_",
  "Block_height",
  "BlockChangedFilter",
  "OrderDirection",
  "_SubgraphErrorPolicy_",
  "_EntityChange_",
  "JSON",
  "BigInt",
  "BigDecimal",
  "Bytes",
  "Int8",
  "Timestamp",
]);

const SCALAR_OPS: Record<string, string[]> = {
  BigInt: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  Boolean: ["", "not", "in", "not_in"],
  Bytes: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in", "contains", "not_contains"],
  BigDecimal: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  ID: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  Int: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  Int8: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  Timestamp: ["", "not", "gt", "lt", "gte", "lte", "in", "not_in"],
  String: [
    "",
    "not",
    "gt",
    "lt",
    "gte",
    "lte",
    "in",
    "not_in",
    "contains",
    "contains_nocase",
    "not_contains",
    "not_contains_nocase",
    "starts_with",
    "starts_with_nocase",
    "not_starts_with",
    "not_starts_with_nocase",
    "ends_with",
    "ends_with_nocase",
    "not_ends_with",
    "not_ends_with_nocase",
  ],
};
const ENUM_OPS = ["", "not", "in", "not_in"];
const LIST_OPS = ["", "not", "contains", "contains_nocase", "not_contains", "not_contains_nocase"];

const BLOCK_ARG_DESCRIPTION =
  "The block at which the query should be executed. Can either be a `{ hash: Bytes }` value containing a block hash, " +
  "a `{ number: Int }` containing the block number, or a `{ number_gte: Int }` containing the minimum block number. " +
  "In the case of `number_gte`, the query will be executed on the latest block only if the subgraph has progressed " +
  "to or past the minimum block number. Defaults to the latest block when omitted.";
const ERROR_POLICY_DESCRIPTION =
  "Set to `allow` to receive data even if the subgraph has skipped over errors while syncing.";

const str = (text: string): string => JSON.stringify(text);
const desc = (text: string | undefined, indent = ""): string => (text ? `${indent}${str(text)}\n` : "");

/** The scalar a reference filter compares ids as: graph-node's `id_type_as_scalar`. */
function refScalar(model: EntityModel, field: FieldMeta): string {
  return model.entity(field.type)!.idType === "Int8" ? "Int" : "String";
}

function filterKeysFor(model: EntityModel, entity: EntityMeta): { keys: Map<string, FilterKey>; lines: string[] } {
  const keys = new Map<string, FilterKey>();
  const lines: string[] = [];
  const add = (field: FieldMeta, op: string, type: string, nested = false): void => {
    const name = nested ? `${field.name}_` : op ? `${field.name}_${op}` : field.name;
    keys.set(name, { field, op, nested });
    lines.push(`  ${name}: ${type}`);
  };
  const scalarOps = (field: FieldMeta, scalar: string, ops: string[]): void => {
    for (const op of ops) add(field, op, op === "in" || op === "not_in" ? `[${scalar}!]` : scalar);
  };
  for (const field of entity.fields) {
    if (field.kind === "entity") {
      if (field.list) {
        if (!field.derivedFrom) for (const op of LIST_OPS) add(field, op, `[${refScalar(model, field)}!]`);
      } else if (!field.derivedFrom) {
        scalarOps(field, refScalar(model, field), SCALAR_OPS[refScalar(model, field)]);
      }
      add(field, "", `${field.type}_filter`, true);
    } else if (field.list) {
      for (const op of LIST_OPS) add(field, op, `[${field.type}!]`);
    } else if (field.kind === "enum") {
      scalarOps(field, field.type, ENUM_OPS);
    } else {
      scalarOps(field, field.type, SCALAR_OPS[field.type] ?? ["", "not"]);
    }
  }
  return { keys, lines };
}

function orderByValues(model: EntityModel, entity: EntityMeta): string[] {
  const values: string[] = [];
  for (const field of entity.fields) {
    values.push(field.name);
    if (field.kind !== "entity" || field.list) continue;
    // One level of child sorting: the child's fields that are neither lists nor entity references.
    for (const child of model.entity(field.type)!.fields) {
      if (child.list || child.kind === "entity") continue;
      values.push(`${field.name}__${child.name}`);
    }
  }
  return values;
}

function collectionArgs(typeName: string): string {
  return (
    `skip: Int = 0, first: Int = 100, orderBy: ${typeName}_orderBy, orderDirection: OrderDirection, ` +
    `where: ${typeName}_filter`
  );
}

function fieldType(field: FieldMeta): string {
  const inner = field.list ? `[${field.type}${field.itemNonNull ? "!" : ""}]` : field.type;
  return `${inner}${field.nonNull ? "!" : ""}`;
}

export interface SdlOptions {
  subscriptions?: boolean;
}

export function buildApiSdl(model: EntityModel, options: SdlOptions = {}): ApiSdl {
  const out: string[] = [];
  const apis = new Map<string, EntityApi>();
  for (const t of [...model.entities.map((e) => e.name), ...model.enums.map((e) => e.name)]) {
    if (RESERVED.has(t)) throw new Error(`entity schema type name ${t} collides with a type of the query schema`);
  }

  out.push(
    "scalar BigDecimal",
    "scalar BigInt",
    "scalar Bytes",
    `${str("8 bytes signed integer")}\nscalar Int8`,
    `${str("A timestamp in microseconds since the epoch")}\nscalar Timestamp`,
    "",
    `${str("Defines the order direction, either ascending or descending")}\nenum OrderDirection {\n  asc\n  desc\n}`,
    "",
    `enum _SubgraphErrorPolicy_ {\n  ${str(
      "Data will be returned even if the subgraph has indexing errors",
    )}\n  allow\n  ${str("If the subgraph has indexing errors, data will be omitted. The default.")}\n  deny\n}`,
    "",
    `input BlockChangedFilter {\n  number_gte: Int!\n}`,
    "",
    `${str("The block at which the query should be executed.")}\ninput Block_height {\n  ${str(
      "Value containing a block hash",
    )}\n  hash: Bytes\n  ${str("Value containing a block number")}\n  number: Int\n  ${str(
      "Value containing the minimum block number. In the case of `number_gte`, the query will be executed on the latest block only if the subgraph has progressed to or past the minimum block number. Defaults to the latest block when omitted.",
    )}\n  number_gte: Int\n}`,
    "",
    `type _Block_ {\n  ${str("The hash of the block")}\n  hash: Bytes\n  ${str(
      "The block number",
    )}\n  number: Int!\n  ${str(
      "Integer representation of the timestamp stored in blocks for the chain",
    )}\n  timestamp: Int\n  ${str("The hash of the parent block")}\n  parentHash: Bytes\n}`,
    "",
    `${str("The type for the top-level _meta field")}\ntype _Meta_ {\n  ${str(
      "Information about a specific subgraph block. The hash of the block will be null if the _meta field has a block constraint that asks for a block number. It will be filled if the _meta field has no block constraint and therefore asks for the latest  block",
    )}\n  block: _Block_!\n  ${str("The deployment ID")}\n  deployment: String!\n  ${str(
      "If `true`, the subgraph encountered indexing errors at some past block",
    )}\n  hasIndexingErrors: Boolean!\n}`,
    "",
  );

  for (const e of model.enums) {
    out.push(`${desc(e.description)}enum ${e.name} {`);
    for (const v of e.values) out.push(`${desc(v.description, "  ")}  ${v.name}`);
    out.push("}", "");
  }

  for (const entity of model.entities) {
    const { keys, lines } = filterKeysFor(model, entity);
    const values = orderByValues(model, entity);
    const api: EntityApi = {
      entity,
      singular: singularField(entity.name),
      plural: pluralField(entity.name),
      changed: `${singularField(entity.name)}Changed`,
      filterKeys: keys,
      orderByValues: values,
    };
    apis.set(entity.name, api);

    out.push(`${desc(entity.description)}type ${entity.name} {`);
    for (const field of entity.fields) {
      const args = field.kind === "entity" && field.list ? `(${collectionArgs(field.type)})` : "";
      out.push(`${desc(field.description, "  ")}  ${field.name}${args}: ${fieldType(field)}`);
    }
    out.push("}", "");

    out.push(`input ${entity.name}_filter {`, ...lines);
    out.push(`  ${str("Filter for the block changed event.")}\n  _change_block: BlockChangedFilter`);
    out.push(`  and: [${entity.name}_filter]`, `  or: [${entity.name}_filter]`, "}", "");

    out.push(`enum ${entity.name}_orderBy {`, ...values.map((v) => `  ${v}`), "}", "");
  }

  const claimed = new Map<string, Set<string>>();
  const claimIn = (root: string, field: string): string => {
    const seen = claimed.get(root) ?? claimed.set(root, new Set()).get(root)!;
    if (seen.has(field)) throw new Error(`two fields of ${root} are named ${field}`);
    seen.add(field);
    return field;
  };
  const claim = (field: string): string => claimIn("Query", field);
  const claimSub = (field: string): string => claimIn("Subscription", field);
  out.push("type Query {");
  for (const api of apis.values()) {
    const name = api.entity.name;
    const block = `${str(BLOCK_ARG_DESCRIPTION)} block: Block_height`;
    const policy = `${str(ERROR_POLICY_DESCRIPTION)} subgraphError: _SubgraphErrorPolicy_! = deny`;
    out.push(`  ${claim(api.singular)}(id: ID!, ${block}, ${policy}): ${name}`);
    out.push(`  ${claim(api.plural)}(${collectionArgs(name)}, ${block}, ${policy}): [${name}!]!`);
  }
  out.push(`  ${str("Access to subgraph metadata")}\n  _meta(block: Block_height): _Meta_`, "}", "");

  if (options.subscriptions) {
    out.push(
      `${str("A JSON value")}\nscalar JSON`,
      "",
      `${str("A change the indexer committed to one entity.")}\ntype _EntityChange_ {`,
      `  ${str("The entity type, e.g. Deal.")}\n  entity: String!`,
      `  id: ID!`,
      `  ${str("The (last) block of the batch at which the entity changed.")}\n  block: Int!`,
      `  ${str("Whether the entity exists after the change (false: it was removed).")}\n  exists: Boolean!`,
      `  ${str("Whether the entity matches `where` after the change.")}\n  matches: Boolean!`,
      `  ${str(
        "Whether the entity matched `where` before the change (false if it did not exist).",
      )}\n  matchedBefore: Boolean!`,
      "}",
      "",
      `${str(
        "Live updates, pushed after the indexer commits a batch (not part of The Graph's dialect). " +
          "Entities are resolved as of the batch's block, and references below them as of the same block.",
      )}\ntype Subscription {`,
    );
    for (const api of apis.values()) {
      const name = api.entity.name;
      out.push(
        `  ${str(
          `After each committed batch that changes ${name} entities: those of them that match \`where\` after the change, ` +
            `ordered by \`orderBy\` (at most \`first\`). Batches with no match push nothing. ` +
            `With \`initial: true\` the current matches (\`first\`, \`orderBy\` applied) are pushed first; ` +
            `later pushes then cover only changes after that snapshot.`,
        )}`,
        `  ${claimSub(
          api.plural,
        )}(where: ${name}_filter, orderBy: ${name}_orderBy, orderDirection: OrderDirection, first: Int = 100, initial: Boolean = false): [${name}!]!`,
        `  ${str(`One event per ${name} a committed batch changes that matches \`where\` after the change.`)}`,
        `  ${claimSub(api.changed)}(where: ${name}_filter): ${name}!`,
      );
    }
    out.push(
      `  ${str(
        "Every change to entities of type `entity` (including removals and entities that stop matching): one event " +
          "per changed entity that matches `where` before or after the change. `where` is an `<entity>_filter` value. " +
          "`ids` restricts the feed to those ids.",
      )}`,
      `  ${claimSub("entityChanged")}(entity: String!, where: JSON, ids: [ID!]): _EntityChange_!`,
      "}",
      "",
    );
  }
  return { sdl: out.join("\n"), apis };
}
