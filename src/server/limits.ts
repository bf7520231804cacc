// Protection against expensive or malicious queries. graphql-armor's plugins enforce the generic limits (tokens
// while parsing; depth, aliases and directives while validating); this file adds what armor lacks: a brace nesting
// check before parsing (graphql-js parses recursively), a limit on introspection lists, a cost estimate that knows
// The Graph's `first` (a list field's children cost `first` times over) with the `first`/`skip` range check the
// store uses, and a time budget during execution. Each rejection is a GraphQL error with an `extensions.code`, and
// the server carries on.

import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  valueFromAST,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type Source,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "../indexer/store/limits";
import { checkRange, requestState, timeoutError } from "./resolvers";

/** The server's limits; `first`/`skip` (QueryLimits) are the store's, checked with the store's check. */
export interface Limits extends QueryLimits {
  /** Deepest allowed field nesting (`{ deals { id } }` is 2; fragments add none; `__schema` is limited below). */
  maxDepth: number;
  /** Most aliased fields in one operation (fragments expanded; `__typename` is free). */
  maxAliases: number;
  /** Most directives in one operation (fragments expanded). */
  maxDirectives: number;
  /** Budget for the estimated number of entities a query may read. */
  maxCost: number;
  /** Time budget of one query's execution. */
  timeoutMs: number;
  /** Largest request body (and WebSocket message). */
  maxBodyBytes: number;
  /** Most lexical tokens in one document. */
  maxTokens: number;
  /** Deepest nesting of braces and brackets in a document (checked before parsing). */
  maxNesting: number;
  /** Depth allowed under `__schema`/`__type` (the standard introspection query needs 15). */
  maxIntrospectionDepth: number;
  /** Nesting of list fields (types, fields, args, …) allowed under `__schema`/`__type`. */
  maxIntrospectionListNesting: number;
}

export const DEFAULT_LIMITS: Limits = {
  ...DEFAULT_QUERY_LIMITS,
  maxDepth: 8,
  maxAliases: 30,
  maxDirectives: 50,
  maxCost: 50_000,
  timeoutMs: 10_000,
  maxBodyBytes: 256 * 1024,
  maxTokens: 10_000,
  maxNesting: 64,
  maxIntrospectionDepth: 20,
  maxIntrospectionListNesting: 3,
};

const INTROSPECTION_ROOTS = new Set(["__schema", "__type"]);
const INTROSPECTION_LISTS = new Set([
  "types",
  "fields",
  "args",
  "inputFields",
  "enumValues",
  "interfaces",
  "possibleTypes",
  "directives",
]);

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return fragments;
}

/**
 * Walks a selection set with fragments expanded (cycles cut; GraphQL validation reports them), folding per field.
 * `field` returns the value contributed by one field given the fold of its children; results are combined with
 * `combine`. Fragment results are memoised, so fragment fan-out does not blow up the walk.
 */
function fold(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  field: (node: FieldNode, children: () => number) => number,
  combine: (a: number, b: number) => number,
  memo = new Map<string, number>(),
  visiting = new Set<string>(),
): number {
  let acc = 0;
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) {
      const sub = sel.selectionSet;
      acc = combine(
        acc,
        field(sel, () => (sub ? fold(sub, fragments, field, combine, memo, visiting) : 0)),
      );
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      acc = combine(acc, fold(sel.selectionSet, fragments, field, combine, memo, visiting));
    } else {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (!frag || visiting.has(name)) continue;
      let value = memo.get(name);
      if (value === undefined) {
        visiting.add(name);
        value = fold(frag.selectionSet, fragments, field, combine, memo, visiting);
        visiting.delete(name);
        memo.set(name, value);
      }
      acc = combine(acc, value);
    }
  }
  return acc;
}

/** The error codes of requests refused by a limit (the metrics count them as "rejected"). */
export const REJECTION_CODES: ReadonlySet<string> = new Set([
  "QUERY_TOO_DEEP",
  "TOO_MANY_ALIASES",
  "TOO_MANY_TOKENS",
  "TOO_MANY_DIRECTIVES",
  "QUERY_TOO_COSTLY",
  "RANGE_ARGUMENT",
]);

function limitError(message: string, code: string, node: ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: [node], extensions: { code } });
}

/**
 * Limits introspection, which armor's depth limit skips (the standard introspection query is deeper than any
 * entity query): its depth, and how many of its list fields nest (each multiplies the answer by the schema's size).
 */
export function introspectionRule(
  limits: Pick<Limits, "maxIntrospectionDepth" | "maxIntrospectionListNesting">,
): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = fragmentsOf(context.getDocument());
    return {
      // On the operation (reported before graphql-js's own, vaguer, introspection depth rule), fragments expanded.
      OperationDefinition(operation) {
        let depth = 0;
        let lists = 0;
        fold(
          operation.selectionSet,
          fragments,
          (field, children) => {
            if (!INTROSPECTION_ROOTS.has(field.name.value)) return children();
            const set = field.selectionSet;
            if (set) {
              depth = Math.max(depth, 1 + fold(set, fragments, (_f, c) => 1 + c(), Math.max));
              lists = Math.max(
                lists,
                fold(set, fragments, (f, c) => (INTROSPECTION_LISTS.has(f.name.value) ? 1 : 0) + c(), Math.max),
              );
            }
            return 0;
          },
          Math.max,
        );
        if (depth > limits.maxIntrospectionDepth || lists > limits.maxIntrospectionListNesting) {
          context.reportError(
            limitError(
              `Introspection query too deep: depth ${depth} (max ${limits.maxIntrospectionDepth}), ` +
                `nested lists ${lists} (max ${limits.maxIntrospectionListNesting})`,
              "QUERY_TOO_DEEP",
              operation,
            ),
          );
        }
      },
    };
  };
}

/**
 * Estimated cost of an operation, as The Graph counts it: every field that returns entities costs the number it
 * may return (`first`, by default 100, or 1 for a single entity) times the number of its parents; children multiply
 * down the tree; variables are resolved. Also checks the `first`/`skip` ranges (the store's check). Throws a
 * GraphQLError when a limit is exceeded; returns the cost otherwise.
 */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  limits: Pick<Limits, "maxCost" | "defaultFirst" | "maxFirst" | "maxSkip">,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const root =
    operation.operation === OperationTypeNode.QUERY
      ? schema.getQueryType()
      : operation.operation === OperationTypeNode.SUBSCRIPTION
        ? schema.getSubscriptionType()
        : schema.getMutationType();
  if (!root) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return 0; // execution reports them
  const variables = coerced.coerced;
  const fragments = fragmentsOf(document);
  const cap = limits.maxCost + 1;
  const memo = new Map<string, number>();

  // Cost of a selection set for one parent entity; saturates just above the budget.
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType, seen: Set<string>): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (cost >= cap) return cap;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith("__") || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const def = parent.getFields()[name];
        if (!def) continue;
        const named = getNamedType(def.type);
        if (!isCompositeType(named)) continue;
        const args = rangeArgs(def, sel, variables);
        checkRange(limits, args);
        const count = isListType(getNullableType(def.type))
          ? typeof args.first === "number"
            ? args.first
            : limits.defaultFirst
          : 1;
        const children = sel.selectionSet ? walk(sel.selectionSet, named, seen) : 0;
        cost = Math.min(cap, cost + count + count * children);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (cond && isCompositeType(cond)) cost = Math.min(cap, cost + walk(sel.selectionSet, cond, seen));
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || seen.has(name)) continue;
        let value = memo.get(name);
        if (value === undefined) {
          const cond = schema.getType(frag.typeCondition.name.value);
          if (!cond || !isCompositeType(cond)) continue;
          seen.add(name);
          value = walk(frag.selectionSet, cond, seen);
          seen.delete(name);
          memo.set(name, value);
        }
        cost = Math.min(cap, cost + value);
      }
    }
    return cost;
  };
  const total = walk(operation.selectionSet, root, new Set());
  if (total > limits.maxCost) {
    throw new GraphQLError(
      `Query is too expensive: it may read more than ${limits.maxCost} entities (first × nested first); ` +
        "lower `first` on nested lists or split the query",
      { nodes: [operation], extensions: { code: "QUERY_TOO_COSTLY", maxCost: limits.maxCost } },
    );
  }
  return total;
}

/** Just `first` and `skip` of a field (cheaper than all its arguments). */
function rangeArgs(
  def: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): { first?: unknown; skip?: unknown } {
  const out: { first?: unknown; skip?: unknown } = {};
  for (const arg of def.args) {
    if (arg.name !== "first" && arg.name !== "skip") continue;
    const given = node.arguments?.find((a) => a.name.value === arg.name);
    const value = given ? valueFromAST(given.value, arg.type, variables) : arg.defaultValue;
    if (value !== undefined) out[arg.name] = value;
  }
  return out;
}

/** Maps each argument value node in a document to a readable location, e.g. `deals(where.dealId)`. */
function valueLocations(document: DocumentNode): Map<ValueNode, string> {
  const locations = new Map<ValueNode, string>();
  const walk = (value: ValueNode, at: string, field: string): void => {
    locations.set(value, `${field}(${at})`);
    if (value.kind === Kind.OBJECT) for (const f of value.fields) walk(f.value, `${at}.${f.name.value}`, field);
    else if (value.kind === Kind.LIST) value.values.forEach((v, i) => walk(v, `${at}[${i}]`, field));
  };
  visit(document, {
    Field(node) {
      for (const arg of node.arguments ?? []) walk(arg.value, arg.name.value, node.name.value);
    },
  });
  return locations;
}

/** Prefixes value errors ("Expected value of type …") with the argument and input field they are about. */
export function nameValueErrors(document: DocumentNode, errors: readonly GraphQLError[]): GraphQLError[] {
  let locations: Map<ValueNode, string> | undefined;
  return errors.map((error) => {
    const node = error.nodes?.[0];
    if (!node || error.extensions?.argument || !error.message.startsWith("Expected value of type")) return error;
    locations ??= valueLocations(document);
    const at = locations.get(node as ValueNode);
    if (!at) return error;
    return new GraphQLError(`Invalid value for ${at}: ${error.message}`, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      originalError: error.originalError,
      extensions: { ...error.extensions, code: "BAD_USER_INPUT", argument: at },
    });
  });
}

/**
 * Rejects documents nested deeper than `max` braces/brackets before parsing them: graphql-js parses and
 * validates recursively, and thousands of levels would overflow the stack.
 */
export function checkNesting(source: string, max: number): void {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < source.length && source[i] !== "\n" && source[i] !== "\r") i++;
    } else if (c === 0x22 /* " */) {
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        i = end < 0 ? source.length : end + 2;
        // Escaped \""" inside block strings is rare; a miscount only errs towards a parse error.
      } else {
        for (i++; i < source.length && source[i] !== '"' && source[i] !== "\n"; i++) if (source[i] === "\\") i++;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) {
        throw new GraphQLError(`Document nested more than ${max} levels deep`, {
          extensions: { code: "QUERY_TOO_DEEP" },
        });
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
}

/**
 * An armor rejection as this server reports it: armor words every limit as a "Syntax Error", which it is not, and
 * gives no code. Reported on the validation context (all errors of a document at once), thrown while parsing.
 */
function armorRejection(code: string) {
  return (context: ValidationContext | null, error: GraphQLError): void => {
    const rejection = new GraphQLError(error.message.replace(/^Syntax Error: /, ""), { extensions: { code } });
    if (!context) throw rejection;
    context.reportError(rejection);
  };
}

/** graphql-armor's plugins for the generic limits (see the file's header). */
export function armorPlugins(limits: Limits): Plugin[] {
  const reject = (code: string) => ({ onReject: [armorRejection(code)], propagateOnRejection: false });
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...reject("TOO_MANY_TOKENS") }),
    maxDepthPlugin({
      n: limits.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: true,
      ...reject("QUERY_TOO_DEEP"),
    }),
    maxAliasesPlugin({ n: limits.maxAliases, ...reject("TOO_MANY_ALIASES") }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...reject("TOO_MANY_DIRECTIVES") }),
  ];
}

/** Every plugin applying `limits`: armor's, then this server's own. */
export function limitPlugins(limits: Limits): Plugin[] {
  return [nestingPlugin(limits), ...armorPlugins(limits), limitsPlugin(limits)];
}

/** Refuses documents nested too deep before any parser sees them. */
function nestingPlugin(limits: Pick<Limits, "maxNesting">): Plugin {
  return {
    onParse({ params }) {
      // envelop types its hooks' arguments as `any` (it spans graphql versions); this is graphql 16's.
      const source = params.source as string | Source;
      const text = typeof source === "string" ? source : source.body;
      if (typeof text === "string") checkNesting(text, limits.maxNesting);
    },
  };
}

/** The limits armor lacks: introspection, cost and `first`/`skip`, time budget; and named value errors. */
export function limitsPlugin(limits: Limits): Plugin {
  const introspection = introspectionRule(limits);
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
  }): GraphQLError | undefined => {
    try {
      queryCost(args.schema, args.document, args.operationName, args.variableValues, limits);
      return undefined;
    } catch (error) {
      if (error instanceof GraphQLError) return error;
      throw error;
    }
  };
  return {
    onValidate({ addValidationRule, params }) {
      addValidationRule(introspection);
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(nameValueErrors(params.documentAST as DocumentNode, result as GraphQLError[]));
      };
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const error = check(args);
      if (error) {
        setResultAndStopExecution({ errors: [error] });
        return;
      }
      setExecuteFn(async (execArgs) => {
        const controller = new AbortController();
        requestState(execArgs.contextValue).signal = controller.signal;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<{ errors: GraphQLError[] }>((resolve) => {
          timer = setTimeout(() => {
            controller.abort();
            resolve({ errors: [timeoutError()] });
          }, limits.timeoutMs);
        });
        try {
          const result: unknown = await Promise.race([
            executeFn({ ...execArgs, signal: controller.signal } as typeof execArgs),
            timedOut,
          ]);
          return result;
        } finally {
          clearTimeout(timer);
        }
      });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
