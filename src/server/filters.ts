// Turns a coerced `<Entity>_filter` argument into the store's WhereFilter. GraphQL coercion has already parsed the
// scalars (BigInt → bigint, Bytes → 0x lower-case hex, enums → their names); what is left is what the schema
// cannot express: references to Bytes-id entities are typed String (as in graph-node) and are normalised here to
// the stored 0x lower-case form, and graph-node's rule that `or` cannot sit beside column filters.

import { GraphQLError } from "graphql";
import type { WhereFilter } from "../indexer/store/types";
import { isBytes } from "./scalars";
import type { EntityApi } from "./sdl";

export class FilterError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: "BAD_USER_INPUT" } });
  }
}

function normalizeBytesId(value: unknown, at: string): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v, i) => normalizeBytesId(v, `${at}[${i}]`));
  if (typeof value !== "string")
    throw new FilterError(`Invalid value for ${at}: expected a Bytes id (0x-prefixed hex)`);
  // Bytes compare as bytes, substrings too (`jobCreator_starts_with: "0xab"`): whole bytes of hex, 0x optional.
  if (!isBytes(value)) {
    throw new FilterError(
      `Invalid value for ${at}: ${JSON.stringify(value)} is not a Bytes id (0x-prefixed hex of whole bytes)`,
    );
  }
  return value.startsWith("0x") ? value.toLowerCase() : `0x${value.toLowerCase()}`;
}

/**
 * Validates and normalises `where` for `entity`. `at` names the argument in errors (e.g. `deals(where)`).
 * Returns undefined for an absent or empty filter.
 */
export function normalizeWhere(
  apis: Map<string, EntityApi>,
  entity: string,
  where: unknown,
  at = "where",
): WhereFilter | undefined {
  if (where === null || where === undefined) return undefined;
  if (typeof where !== "object" || Array.isArray(where))
    throw new FilterError(`Invalid value for ${at}: expected an object`);
  const api = apis.get(entity);
  if (!api) throw new FilterError(`Unknown entity type ${entity}`);
  const input = where as Record<string, unknown>;
  const keys = Object.keys(input).filter((k) => input[k] !== undefined);
  if (keys.length === 0) return undefined;
  if (keys.includes("or")) {
    const columns = keys.filter((k) => k !== "or" && k !== "and");
    if (columns.length > 0) {
      throw new FilterError(
        "Cannot mix column filters with 'or' operator at the same level. " +
          `Found column filter(s) ${columns.map((c) => `'${c}'`).join(", ")} alongside 'or' operator.`,
      );
    }
  }
  const out: WhereFilter = {};
  for (const key of keys) {
    const value = input[key];
    const path = `${at}.${key}`;
    if (key === "and" || key === "or") {
      if (value === null) continue;
      if (!Array.isArray(value)) throw new FilterError(`Invalid value for ${path}: expected a list of filters`);
      out[key] = value.flatMap((v, i) => (v == null ? [] : [normalizeWhere(apis, entity, v, `${path}[${i}]`) ?? {}]));
      continue;
    }
    if (key === "_change_block") {
      out[key] = value;
      continue;
    }
    const filterKey = api.filterKeys.get(key);
    if (!filterKey) throw new FilterError(`Unknown filter ${path} for ${entity}`);
    const { field, op, nested } = filterKey;
    if (nested) {
      out[key] = value === null ? null : (normalizeWhere(apis, field.type, value, path) ?? {});
      continue;
    }
    const bytesRef = field.kind === "entity" && apis.get(field.type)?.entity.idType === "Bytes";
    // Case cannot matter for enums and for Bytes (normalised to lower-case hex): `_nocase` is the plain operator.
    const caseless = bytesRef || field.kind === "enum" || field.type === "Bytes";
    const target = caseless && op.endsWith("_nocase") ? key.slice(0, -"_nocase".length) : key;
    out[target] = bytesRef ? normalizeBytesId(value, path) : value;
  }
  return out;
}

/** AND of two filters without tripping the `or` rule: `{ and: [a, b] }` unless one of them is empty. */
export function andWhere(a: WhereFilter | undefined, b: WhereFilter): WhereFilter {
  if (!a || Object.keys(a).length === 0) return b;
  return { and: [a, b] };
}
