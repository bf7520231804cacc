// The `first`/`skip` limits of The Graph's query dialect, in one place: the store's find() and the GraphQL server
// (its cost estimate and its resolvers) validate with this check, so a query the server lets through is one the
// store accepts. Here rather than in src/server because the server depends on the store, not the other way round.

import { QueryArgumentError } from "./errors";

export interface QueryLimits {
  /** `first` when omitted (The Graph: 100). */
  defaultFirst: number;
  /** The largest `first` accepted (The Graph: 1000). */
  maxFirst: number;
  /** The largest `skip` accepted (The Graph's hosted service: 5000). */
  maxSkip: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  defaultFirst: 100,
  maxFirst: 1000,
  maxSkip: 5000,
};

/** `first` or `skip` out of range: LIMIT_EXCEEDED above the maximum, INVALID_ARGUMENT below 0 or not an integer. */
export class QueryRangeError extends QueryArgumentError {
  override name = "QueryRangeError";
  constructor(
    argument: "first" | "skip",
    readonly max: number,
    readonly actual: unknown,
  ) {
    super(
      argument,
      `The \`${argument}\` argument must be between 0 and ${max}, but is ${String(actual)}`,
      typeof actual === "number" && actual > max ? "LIMIT_EXCEEDED" : "INVALID_ARGUMENT",
    );
  }
}

/** Validates `first` and `skip` (absent: the defaults) and returns them. Throws QueryRangeError. */
export function checkQueryRange(
  limits: QueryLimits,
  args: { first?: unknown; skip?: unknown },
): { first: number; skip: number } {
  const first = args.first ?? limits.defaultFirst;
  if (typeof first !== "number" || !Number.isInteger(first) || first < 0 || first > limits.maxFirst) {
    throw new QueryRangeError("first", limits.maxFirst, first);
  }
  const skip = args.skip ?? 0;
  if (typeof skip !== "number" || !Number.isInteger(skip) || skip < 0 || skip > limits.maxSkip) {
    throw new QueryRangeError("skip", limits.maxSkip, skip);
  }
  return { first, skip };
}
