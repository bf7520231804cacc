// Entity metadata the API is generated from. The indexer owns the schema parser (src/indexer/schema); the server
// reads only these fields of its model: entity types with their fields (scalar, enum or entity reference, list or
// not, @derivedFrom, id type) and the schema's enums.

export {
  EntitySchemaError,
  GRAPH_SCALARS,
  defaultSchemaPath,
  loadEntitySchema,
  parseEntitySchema,
  type EntityMeta,
  type EntityModel,
  type EnumMeta,
  type FieldKind,
  type FieldMeta,
  type IdType,
} from "../indexer/schema";
