// Typed errors of the store. The GraphQL server maps StoreQueryError (bad query input) to a client error;
// anything else is a server fault.

/** Base of every error the store throws. */
export class StoreError extends Error {
  override name = "StoreError";
}

export type StoreQueryErrorCode =
  "UNKNOWN_ENTITY" | "UNKNOWN_FIELD" | "UNKNOWN_OPERATOR" | "INVALID_VALUE" | "INVALID_ARGUMENT" | "LIMIT_EXCEEDED";

/** A query (find/get) the store cannot answer because of its input. `field` names the offending field, if any. */
export class StoreQueryError extends StoreError {
  override name = "StoreQueryError";
  readonly code: StoreQueryErrorCode;
  readonly entity: string | undefined;
  readonly field: string | undefined;

  constructor(code: StoreQueryErrorCode, message: string, options: { entity?: string; field?: string } = {}) {
    super(message);
    this.code = code;
    this.entity = options.entity;
    this.field = options.field;
  }
}

export class UnknownEntityError extends StoreQueryError {
  override name = "UnknownEntityError";
  constructor(entity: string) {
    super("UNKNOWN_ENTITY", `Unknown entity type \`${entity}\``, { entity });
  }
}

export class UnknownFieldError extends StoreQueryError {
  override name = "UnknownFieldError";
  constructor(entity: string, field: string, context = "filter") {
    super("UNKNOWN_FIELD", `Type \`${entity}\` has no field \`${field}\` (in ${context})`, { entity, field });
  }
}

export class UnknownOperatorError extends StoreQueryError {
  override name = "UnknownOperatorError";
  readonly operator: string;
  constructor(entity: string, field: string, operator: string, key: string) {
    super(
      "UNKNOWN_OPERATOR",
      `Filter \`${key}\`: operator \`${operator}\` is not supported on \`${entity}.${field}\``,
      {
        entity,
        field,
      },
    );
    this.operator = operator;
  }
}

export class InvalidFilterValueError extends StoreQueryError {
  override name = "InvalidFilterValueError";
  constructor(entity: string, field: string, message: string) {
    super("INVALID_VALUE", `\`${entity}.${field}\`: ${message}`, { entity, field });
  }
}

/** `first`, `skip`, `block` or `orderDirection` out of range. */
export class QueryArgumentError extends StoreQueryError {
  override name = "QueryArgumentError";
  readonly argument: string;
  constructor(argument: string, message: string, code: StoreQueryErrorCode = "INVALID_ARGUMENT") {
    super(code, message, { field: argument });
    this.argument = argument;
  }
}

/** A record written by a handler does not fit the schema (a bug in the handler, not in the input). */
export class EntityValidationError extends StoreError {
  override name = "EntityValidationError";
  readonly entity: string;
  readonly field: string;
  constructor(entity: string, field: string, message: string) {
    super(`${entity}.${field}: ${message}`);
    this.entity = entity;
    this.field = field;
  }
}
