export * from "./model";
export { parseEntitySchema, snakeCase } from "./parse";
export { defaultSchemaPath, loadEntitySchema } from "./load";
