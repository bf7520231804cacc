// The Graph's custom scalars. Inputs are parsed into what the store compares against: BigInt, Int8 and
// Timestamp as bigint, Bytes as 0x-prefixed lower-case hex, BigDecimal as a canonical decimal string.
// Outputs are serialised as graph-node does: BigInt, BigDecimal, Int8 and Timestamp as strings, Bytes as 0x hex.

import { GraphQLError, GraphQLScalarType, Kind, print, type ValueNode } from "graphql";

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const HEX = /^(?:0x)?((?:[0-9a-fA-F]{2})*)$/;

// Plain errors (not GraphQLError): graphql-js then reports them with the offending node and location
// ("Expected value of type "Bytes", found …; <message>").
function invalid(type: string, value: unknown, expected: string): TypeError {
  const shown =
    typeof value === "string" ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  return new TypeError(`${type} must be ${expected}, got ${shown}`);
}

/**
 * parseValue (variables) must throw GraphQLError: graphql-js then reports the message with the variable path,
 * and yoga does not mask it as an unexpected error (it masks errors whose original error is not a GraphQLError).
 */
function fromVariable<T>(parse: (value: unknown) => T): (value: unknown) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new GraphQLError((error as Error).message);
    }
  };
}

function literal(ast: ValueNode): unknown {
  if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
  if (ast.kind === Kind.BOOLEAN) return ast.value;
  return print(ast);
}

function parseInteger(type: string, value: unknown, min?: bigint, max?: bigint): bigint {
  let parsed: bigint | undefined;
  if (typeof value === "bigint") parsed = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) parsed = BigInt(value);
  else if (typeof value === "string" && INTEGER.test(value)) parsed = BigInt(value);
  if (parsed === undefined) throw invalid(type, value, "an integer (a decimal string, or a number up to 2^53)");
  if ((min !== undefined && parsed < min) || (max !== undefined && parsed > max)) {
    throw invalid(type, value, `between ${min} and ${max}`);
  }
  return parsed;
}

function serializeInteger(type: string, value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === "string" && INTEGER.test(value)) return value;
  throw new GraphQLError(`${type} cannot represent ${String(value)}`);
}

export function parseBigInt(value: unknown): bigint {
  return parseInteger("BigInt", value);
}

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: "BigInt",
  serialize: (value) => serializeInteger("BigInt", value),
  parseValue: fromVariable((value) => parseInteger("BigInt", value)),
  parseLiteral: (ast) => parseInteger("BigInt", literal(ast)),
});

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

export const Int8Scalar = new GraphQLScalarType<bigint, string>({
  name: "Int8",
  description: "8 bytes signed integer",
  serialize: (value) => serializeInteger("Int8", value),
  parseValue: fromVariable((value) => parseInteger("Int8", value, INT8_MIN, INT8_MAX)),
  parseLiteral: (ast) => parseInteger("Int8", literal(ast), INT8_MIN, INT8_MAX),
});

export const TimestampScalar = new GraphQLScalarType<bigint, string>({
  name: "Timestamp",
  description: "A timestamp in microseconds since the epoch",
  serialize: (value) => serializeInteger("Timestamp", value),
  parseValue: fromVariable((value) => parseInteger("Timestamp", value, INT8_MIN, INT8_MAX)),
  parseLiteral: (ast) => parseInteger("Timestamp", literal(ast), INT8_MIN, INT8_MAX),
});

/** 0x-prefixed lower-case hex of whole bytes; `0x` is optional on input. */
export function parseBytes(value: unknown): string {
  const m = typeof value === "string" ? HEX.exec(value) : null;
  if (!m) throw invalid("Bytes", value, "0x-prefixed hex of whole bytes");
  return `0x${m[1].toLowerCase()}`;
}

export function isBytes(value: unknown): value is string {
  return typeof value === "string" && HEX.test(value);
}

export const BytesScalar = new GraphQLScalarType<string, string>({
  name: "Bytes",
  serialize: (value) => {
    if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
    if (typeof value === "string" && HEX.test(value)) return parseBytes(value);
    throw new GraphQLError(`Bytes cannot represent ${String(value)}`);
  },
  parseValue: fromVariable(parseBytes),
  parseLiteral: (ast) => parseBytes(literal(ast)),
});

function parseDecimal(value: unknown): string {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string" || !DECIMAL.test(text)) throw invalid("BigDecimal", value, "a decimal number string");
  return text;
}

export const BigDecimalScalar = new GraphQLScalarType<string, string>({
  name: "BigDecimal",
  serialize: (value) => {
    if (typeof value === "string" && DECIMAL.test(value)) return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    if (typeof value === "bigint") return value.toString();
    // A decimal library's number (decimal.js, big.js) prints itself; a plain object has nothing to print.
    if (value && typeof value === "object" && value.toString !== Object.prototype.toString) {
      return (value as { toString(): string }).toString();
    }
    throw new GraphQLError(`BigDecimal cannot represent ${String(value)}`);
  },
  parseValue: fromVariable(parseDecimal),
  parseLiteral: (ast) => parseDecimal(literal(ast)),
});

/** Any JSON value; used for the generic change feed's `where`, validated against the entity's filter type. */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: "JSON",
  description: "A JSON value",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: function parseJsonLiteral(ast, variables): unknown {
    switch (ast.kind) {
      case Kind.STRING:
      case Kind.ENUM:
      case Kind.BOOLEAN:
        return ast.value;
      case Kind.INT:
        return Number.isSafeInteger(Number(ast.value)) ? Number(ast.value) : ast.value;
      case Kind.FLOAT:
        return Number(ast.value);
      case Kind.NULL:
        return null;
      case Kind.LIST:
        return ast.values.map((v) => parseJsonLiteral(v, variables));
      case Kind.OBJECT:
        return Object.fromEntries(ast.fields.map((f) => [f.name.value, parseJsonLiteral(f.value, variables)]));
      case Kind.VARIABLE:
        return variables ? variables[ast.name.value] : undefined;
    }
  },
});

export const SCALARS = {
  BigInt: BigIntScalar,
  BigDecimal: BigDecimalScalar,
  Bytes: BytesScalar,
  Int8: Int8Scalar,
  Timestamp: TimestampScalar,
  JSON: JSONScalar,
};
