// Parsing JSON text from untrusted sources without losing integers: JSON.parse rounds anything past
// 2^53, which silently changes uint64 amounts (and with them, IDs).

import { parse as parseLossless } from "lossless-json";
import { AccordValidationError } from "./errors";
import type { JsonValue } from "./types";

/** A JSON number kept as its literal text, so a validator can apply Go's rules to the literal itself. */
export class JsonNumberLiteral {
  constructor(readonly text: string) {}
}

const integerLiteral = /^-?(0|[1-9][0-9]*)$/;

/**
 * Parses JSON text. Integers that a number holds exactly become numbers, larger ones bigints; other
 * numbers become (float64) numbers, as Go decodes them into an `interface{}`.
 * Duplicate keys with different values are refused (Go would silently keep the last one).
 * Throws AccordValidationError (field "", the whole text) on malformed JSON.
 */
export function parseJson(text: string): JsonValue {
  return parseWith(text, numberFromLiteral) as JsonValue;
}

/** Like `parseJson`, but every number is a JsonNumberLiteral holding its text. */
export function parseJsonLiterals(text: string): unknown {
  return parseWith(text, (literal) => new JsonNumberLiteral(literal));
}

/** The number or bigint a JSON number literal stands for (see `parseJson`). */
export function numberFromLiteral(literal: string): number | bigint {
  const value = Number(literal);
  if (integerLiteral.test(literal) && !Number.isSafeInteger(value)) return BigInt(literal);
  if (!Number.isFinite(value)) {
    throw new AccordValidationError("", `must be valid JSON: number ${literal} is out of float64 range`);
  }
  return value;
}

function parseWith(text: string, parseNumber: (literal: string) => unknown): unknown {
  if (typeof text !== "string") throw new AccordValidationError("", "must be JSON text (a string)");
  try {
    return parseLossless(text, null, parseNumber);
  } catch (error) {
    if (error instanceof AccordValidationError) throw error;
    const reason = error instanceof RangeError ? "nested too deeply" : (error as Error).message;
    throw new AccordValidationError("", `must be valid JSON: ${reason}`, { cause: error });
  }
}
