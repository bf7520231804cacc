// Where Accord's own built subgraph is: subgraph/build/, next to subgraph/schema.graphql (the build that
// `npm install` runs writes it; see scripts/build.js).

import path from "node:path";
import { defaultSchemaPath } from "../schema/load";

/** subgraph/build of this package (found from src/ and from dist/src/ alike). */
export function defaultSubgraphDir(): string {
  return path.join(path.dirname(defaultSchemaPath()), "build");
}
