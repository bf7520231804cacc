// Finds and loads the project's entity schema: subgraph/schema.graphql, the single source of the entities.

import fs from "node:fs";
import path from "node:path";
import { EntitySchemaError, type EntityModel } from "./model";
import { parseEntitySchema } from "./parse";

const SCHEMA_RELATIVE = path.join("subgraph", "schema.graphql");

/** The path of subgraph/schema.graphql: searched upwards from this file (works from src/ and from dist/src/). */
export function defaultSchemaPath(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, SCHEMA_RELATIVE);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const fromCwd = path.resolve(SCHEMA_RELATIVE);
  if (fs.existsSync(fromCwd)) return fromCwd;
  throw new EntitySchemaError(`cannot find ${SCHEMA_RELATIVE} above ${__dirname} or in ${process.cwd()}`);
}

const cache = new Map<string, EntityModel>();

/** Loads and parses an entity schema file (default: the project's subgraph/schema.graphql). Cached per path. */
export function loadEntitySchema(file: string = defaultSchemaPath()): EntityModel {
  const resolved = path.resolve(file);
  let model = cache.get(resolved);
  if (!model) {
    model = parseEntitySchema(fs.readFileSync(resolved, "utf8"));
    cache.set(resolved, model);
  }
  return model;
}
