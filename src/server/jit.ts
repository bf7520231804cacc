// Queries run on graphql-jit (@envelop/graphql-jit): each document is compiled once into a function that executes
// it, instead of graphql-js walking it for every request. Measured in process on the bench chain (PGlite, one
// client, yoga.fetch without HTTP): one deal's payments 709 → 563 µs, one deal with its relations 1,003 → 820 µs.
//
// Only documents of one query run compiled (@envelop/graphql-jit caches the compiled code by document, not by
// operation name), only queries (the API has no mutations, whose refusal graphql-js words; subscriptions' async
// iterables are yoga's and graphql-ws's business), and of those these keep graphql-js's executor:
// - documents with a literal argument of a scalar parsed to a bigint (BigInt, Int8, Timestamp): graphql-jit writes
//   literal arguments into the compiled code with JSON.stringify, which cannot serialise a bigint. Variables are fine
//   (they are coerced at run time), and every client library sends variables;
// - operations with a variable of an input object type (a `where` filter): graphql-jit compiles the coercion of an
//   input type eagerly, recursing through every input type it reaches, and The Graph's filters reach themselves
//   (`and`, `or`, nested `<field>_` filters): compiling `query($w: Deal_filter)` exhausted the heap. Filters written
//   inline with scalar variables (as the solvers' queries are) run compiled;
// - documents whose selections, fragments expanded, exceed MAX_EXPANDED_SELECTIONS: graphql-jit compiles every
//   spread of a fragment anew (graphql-js visits each fragment once per selection set), so forty fragments that each
//   spread the next twice would compile 2^40 selections. The count is taken with each fragment's size memoized, in
//   time linear in the document.

import { useGraphQlJit } from "@envelop/graphql-jit";
import {
  getNamedType,
  GraphQLError,
  getOperationAST,
  isInputObjectType,
  Kind,
  OperationTypeNode,
  typeFromAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

/** The scalars whose parsed values are bigints (src/server/scalars.ts). */
const BIGINT_SCALARS = new Set(["BigInt", "Int8", "Timestamp"]);

/** Whether `document` has a literal (not a variable) anywhere in an argument of a bigint scalar type. */
export function hasBigintLiteral(schema: GraphQLSchema, document: DocumentNode): boolean {
  let found = false;
  const typeInfo = new TypeInfo(schema);
  const check = () => {
    const type = typeInfo.getInputType();
    if (type && BIGINT_SCALARS.has(getNamedType(type).name)) found = true;
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      [Kind.INT]: check,
      [Kind.STRING]: check,
      [Kind.FLOAT]: check,
    }),
  );
  return found;
}

/** Most selections a compiled document may expand to (fragment spreads counted as often as they are spread). */
export const MAX_EXPANDED_SELECTIONS = 5000;

/** Selections of `operation` with every fragment spread expanded (saturating past MAX_EXPANDED_SELECTIONS). */
export function expandedSelections(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const sizes = new Map<string, number>();
  const cap = MAX_EXPANDED_SELECTIONS + 1;
  const count = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    let total = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        let size = sizes.get(name);
        if (size === undefined) {
          // A cycle is a validation error; counted as too large should it ever reach here.
          if (visiting.has(name)) return cap;
          visiting.add(name);
          size = count(fragments.get(name)?.selectionSet, visiting);
          visiting.delete(name);
          sizes.set(name, size);
        }
        total += size;
      } else total += 1 + count(selection.selectionSet, visiting);
      if (total >= cap) return cap;
    }
    return total;
  };
  return count(operation.selectionSet, new Set());
}

/** Whether `operation` declares a variable of an input object type (or a list of one). */
function hasInputObjectVariable(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  return (operation.variableDefinitions ?? []).some((definition) => {
    const type = typeFromAST(schema, definition.type);
    return type !== undefined && isInputObjectType(getNamedType(type));
  });
}

/** Per document and operation name: whether it may run compiled. */
const eligible = new WeakMap<DocumentNode, Map<string | null | undefined, boolean>>();

/** Whether an execution may run compiled (see above). Cached per document (yoga's parser cache reuses them). */
export function jitEligible(args: Pick<ExecutionArgs, "schema" | "document" | "operationName">): boolean {
  let byName = eligible.get(args.document);
  if (!byName) eligible.set(args.document, (byName = new Map<string | null | undefined, boolean>()));
  let answer = byName.get(args.operationName);
  if (answer === undefined) {
    const operation = getOperationAST(args.document, args.operationName);
    const operations = args.document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
    answer =
      operation != null &&
      operations === 1 &&
      operation.operation === OperationTypeNode.QUERY &&
      !hasInputObjectVariable(args.schema, operation) &&
      expandedSelections(args.document, operation) <= MAX_EXPANDED_SELECTIONS &&
      !hasBigintLiteral(args.schema, args.document);
    byName.set(args.operationName, answer);
  }
  return answer;
}

/**
 * graphql-jit's errors carry their `locations` but not the AST nodes they came from, and yoga rebuilds every error
 * from its nodes (or source and positions) when it serialises a result, so a compiled query's errors would lose
 * their locations. They are rebuilt here as graphql-js's errors, located by source and position.
 */
function relocated(document: DocumentNode, error: GraphQLError): GraphQLError {
  const source = document.loc?.source;
  if (!source || error.nodes || error.positions || !error.locations?.length) return error;
  const lineStarts = [0];
  for (let i = 0; i < source.body.length; i++) if (source.body[i] === "\n") lineStarts.push(i + 1);
  const positions = error.locations.map(({ line, column }) => (lineStarts[line - 1] ?? 0) + column - 1);
  const original = error.originalError ?? undefined;
  return new GraphQLError(error.message, {
    source,
    positions,
    path: error.path,
    originalError: original,
    extensions: error.extensions,
  });
}

/**
 * The yoga plugins: graphql-jit for the executions jitEligible allows, and the errors of those located as
 * graphql-js locates them. They must come before the plugins that wrap the execute function (the time budget of
 * limits.ts), which then wrap the compiled one.
 */
export function jitPlugins(): Plugin[] {
  const relocate: Plugin = {
    onExecute({ args }) {
      const document = args.document as DocumentNode;
      return {
        onExecuteDone({ result, setResult }) {
          const single = result as ExecutionResult & { stringify?: unknown };
          if (isAsyncIterable(result) || !single.errors?.length || single.stringify === undefined) return;
          setResult({ ...single, errors: single.errors.map((e) => relocated(document, e)) });
        },
      };
    },
  };
  return [useGraphQlJit({}, { enableIf: jitEligible }) as Plugin, relocate];
}
