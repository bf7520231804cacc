// Validation of offers, deals and results from untrusted peers: JSON text or already-parsed objects in,
// typed objects (uint64 as bigint) out, or an AccordValidationError naming the field and the rule.
//
// Decoding follows Go's `json.Unmarshal` into the reference structs, so a value means here what it
// means to a Go peer: keys match fields exactly or else case-insensitively (Go's folding, last
// duplicate wins), unknown keys are ignored, `null` leaves a scalar or struct at its zero value and
// makes a slice or map nil, integers must be integer literals (no fraction, no exponent) in range.
// On top of Go's type rules: addresses, CIDs and pricing modes must be well-formed (see StringFormat).

import { addressRule, isAddress } from "./address";
import { isCid, isCidV0 } from "./cid";
import { AccordValidationError } from "./errors";
import { getDealId, getJobOfferId, getResourceOfferId, getResultId } from "./ids";
import { integerRules, integerViolation, safeIntRule, type IntegerKind } from "./integers";
import { toWellFormed, type Schema, type StringFormat } from "./json";
import { JsonNumberLiteral, numberFromLiteral, parseJsonLiterals } from "./parse";
import { indexPath, memberPath } from "./paths";
import { dealSchema, jobOfferSchema, resourceOfferSchema, resultSchema } from "./schemas";
import { PricingMode, type Deal, type JobOffer, type JsonValue, type ResourceOffer, type Result } from "./types";

export type ParseOptions = {
  /** Also require `id` to be the ID computed from the object (for a deal, its offers' IDs too). Makes the call async. */
  verifyId?: boolean;
};

export function parseJobOffer(input: unknown): JobOffer;
export function parseJobOffer(input: unknown, options: ParseOptions & { verifyId: true }): Promise<JobOffer>;
export function parseJobOffer(input: unknown, options?: ParseOptions): JobOffer | Promise<JobOffer>;
/** A job offer from JSON text or a parsed object. */
export function parseJobOffer(input: unknown, options: ParseOptions = {}): JobOffer | Promise<JobOffer> {
  const offer = decodeTop(input, jobOfferSchema, "job offer") as JobOffer;
  if (!options.verifyId) return offer;
  return verifyIds(offer, [["id", offer.id, getJobOfferId(offer)]], "job offer");
}

export function parseResourceOffer(input: unknown): ResourceOffer;
export function parseResourceOffer(input: unknown, options: ParseOptions & { verifyId: true }): Promise<ResourceOffer>;
export function parseResourceOffer(input: unknown, options?: ParseOptions): ResourceOffer | Promise<ResourceOffer>;
/** A resource offer from JSON text or a parsed object. */
export function parseResourceOffer(input: unknown, options: ParseOptions = {}): ResourceOffer | Promise<ResourceOffer> {
  const offer = decodeTop(input, resourceOfferSchema, "resource offer") as ResourceOffer;
  if (!options.verifyId) return offer;
  return verifyIds(offer, [["id", offer.id, getResourceOfferId(offer)]], "resource offer");
}

export function parseDeal(input: unknown): Deal;
export function parseDeal(input: unknown, options: ParseOptions & { verifyId: true }): Promise<Deal>;
export function parseDeal(input: unknown, options?: ParseOptions): Deal | Promise<Deal>;
/** A deal from JSON text or a parsed object. */
export function parseDeal(input: unknown, options: ParseOptions = {}): Deal | Promise<Deal> {
  const deal = decodeTop(input, dealSchema, "deal") as Deal;
  if (!options.verifyId) return deal;
  return verifyIds(
    deal,
    [
      ["job_offer.id", deal.job_offer.id, getJobOfferId(deal.job_offer)],
      ["resource_offer.id", deal.resource_offer.id, getResourceOfferId(deal.resource_offer)],
      ["id", deal.id, getDealId(deal)],
    ],
    "deal",
  );
}

export function parseResult(input: unknown): Result;
export function parseResult(input: unknown, options: ParseOptions & { verifyId: true }): Promise<Result>;
export function parseResult(input: unknown, options?: ParseOptions): Result | Promise<Result>;
/** A result from JSON text or a parsed object. */
export function parseResult(input: unknown, options: ParseOptions = {}): Result | Promise<Result> {
  const result = decodeTop(input, resultSchema, "result") as Result;
  if (!options.verifyId) return result;
  return verifyIds(result, [["id", result.id, getResultId(result)]], "result");
}

async function verifyIds<T>(
  value: T,
  claims: readonly (readonly [field: string, claimed: string, computed: Promise<string>])[],
  subject: string,
): Promise<T> {
  for (const [field, claimed, computed] of claims) {
    const expected = await computed;
    if (claimed !== expected) {
      throw new AccordValidationError(field, `must equal the computed ID ${expected}`, { subject });
    }
  }
  return value;
}

/**
 * Decodes a value (JSON text, or an object as JSON.parse / parseJson / parseJsonLiterals return it)
 * against a schema as Go's Unmarshal would, with the model's extra rules. Exposed for other shapes
 * (containers, modules); the parseXxx functions are this with their schema.
 */
export function decodeWithSchema(input: unknown, schema: Schema, subject: string): unknown {
  return decodeTop(input, schema, subject);
}

function decodeTop(input: unknown, schema: Schema, subject: string): unknown {
  try {
    const value = typeof input === "string" ? parseJsonLiterals(input) : input;
    if (schema.kind === "struct" && !isPlainObject(value)) throw new AccordValidationError("", "must be an object");
    return decode(value, schema, "");
  } catch (error) {
    if (error instanceof AccordValidationError && error.subject === undefined) {
      throw new AccordValidationError(error.field, error.rule, { subject, cause: error.cause });
    }
    throw error;
  }
}

function fail(path: string, rule: string): never {
  throw new AccordValidationError(path, rule);
}

function decode(value: unknown, schema: Schema, path: string): unknown {
  switch (schema.kind) {
    case "string": {
      if (value === undefined || value === null) return "";
      if (typeof value !== "string") fail(path, "must be a string");
      // A Go peer decoding the same text gets U+FFFD for a lone surrogate escape.
      const text = toWellFormed(value);
      if (schema.format) checkFormat(text, schema.format, path);
      return text;
    }
    case "bool":
      if (value === undefined || value === null) return false;
      if (typeof value !== "boolean") fail(path, "must be a boolean");
      return value;
    case "int":
    case "uint8":
    case "uint64":
      return decodeInteger(value, schema.kind, path);
    case "json":
      return decodeJsonValue(value, path);
    case "slice":
      if (value === undefined || value === null) return null;
      if (!Array.isArray(value)) fail(path, "must be an array or null");
      return value.map((item, i) => decode(item, schema.elem, indexPath(path, i)));
    case "map": {
      if (value === undefined || value === null) return null;
      if (!isPlainObject(value)) fail(path, "must be an object or null");
      const map: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (value[key] === undefined) continue;
        const goKey = toWellFormed(key);
        if (Object.prototype.hasOwnProperty.call(map, goKey)) {
          fail(memberPath(path, goKey), "is a duplicate key once lone surrogates are replaced by U+FFFD");
        }
        setOwn(map, goKey, decode(value[key], schema.value, memberPath(path, goKey)));
      }
      return map;
    }
    case "struct": {
      if (value !== undefined && value !== null && !isPlainObject(value)) fail(path, "must be an object");
      const source = value ?? {};
      // Which input key feeds each field: Go takes an exact name, else a case-folded one; a later key
      // for the same field overrides an earlier one.
      const keyFor = new Map<string, string>();
      for (const key of Object.keys(source)) {
        const field =
          schema.fields.find(([name]) => name === key) ?? schema.fields.find(([name]) => goFold(name) === goFold(key));
        if (field) keyFor.set(field[0], key);
      }
      const struct: Record<string, unknown> = {};
      for (const [name, fieldSchema] of schema.fields) {
        const key = keyFor.get(name);
        struct[name] = decode(key === undefined ? undefined : source[key], fieldSchema, memberPath(path, name));
      }
      return struct;
    }
  }
}

/** Go's key folding for field names (Go 1.21 foldName): ASCII case, plus K (Kelvin) ~ k and ſ (long s) ~ s. */
function goFold(key: string): string {
  return key
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/\u212a/g, "k")
    .replace(/\u017f/g, "s");
}

function checkFormat(text: string, format: StringFormat, path: string): void {
  switch (format) {
    case "address":
      if (text !== "" && !isAddress(text)) fail(path, `${addressRule}, or empty`);
      return;
    case "required-address":
      if (!isAddress(text)) fail(path, addressRule);
      return;
    case "cid-v0":
      if (text !== "" && !isCidV0(text)) fail(path, 'must be a CIDv0 ID ("Qm…"), or empty');
      return;
    case "cid":
      if (text !== "" && !isCid(text)) fail(path, "must be a CID, or empty");
      return;
    case "pricing-mode":
      if (!Object.prototype.hasOwnProperty.call(PricingMode, text)) {
        fail(
          path,
          `must be one of ${Object.keys(PricingMode)
            .map((mode) => JSON.stringify(mode))
            .join(", ")}`,
        );
      }
      return;
  }
}

const unsignedLiteral = /^(0|[1-9][0-9]*)$/;
const signedLiteral = /^-?(0|[1-9][0-9]*)$/;

function decodeInteger(value: unknown, kind: IntegerKind, path: string): number | bigint {
  let integer: bigint;
  if (value === undefined || value === null) {
    integer = 0n;
  } else if (value instanceof JsonNumberLiteral || isLosslessNumber(value)) {
    // Go parses the literal itself: "1.0", "1e3" and, for unsigned fields, "-0" are not integers to it.
    const text = value instanceof JsonNumberLiteral ? value.text : value.value;
    if (!(kind === "int" ? signedLiteral : unsignedLiteral).test(text)) fail(path, integerRules[kind]);
    integer = BigInt(text);
    const violation = integerViolation(integer, kind);
    if (violation) fail(path, violation);
  } else if (typeof value === "bigint" || typeof value === "number") {
    const violation = integerViolation(value, kind);
    if (violation) fail(path, violation);
    integer = BigInt(value);
  } else {
    fail(path, integerRules[kind]);
  }
  if (kind === "uint64") return integer;
  const number = Number(integer);
  if (!Number.isSafeInteger(number)) fail(path, safeIntRule);
  return number;
}

function decodeJsonValue(value: unknown, path: string): JsonValue {
  if (value === undefined || value === null) return null;
  if (value instanceof JsonNumberLiteral) return numberFromLiteral(value.text);
  if (isLosslessNumber(value)) return numberFromLiteral(value.value);
  switch (typeof value) {
    case "boolean":
    case "bigint":
      return value;
    case "string":
      return toWellFormed(value);
    case "number":
      if (!Number.isFinite(value)) fail(path, "must be a finite number");
      return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => decodeJsonValue(item, indexPath(path, i)));
  if (!isPlainObject(value)) fail(path, "must be JSON data");
  const object: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined) setOwn(object, toWellFormed(key), decodeJsonValue(value[key], memberPath(path, key)));
  }
  return object;
}

function isLosslessNumber(value: unknown): value is { isLosslessNumber: true; value: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { isLosslessNumber?: unknown }).isLosslessNumber === true &&
    typeof (value as { value?: unknown }).value === "string"
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Assignment that stores a "__proto__" key as data instead of changing the object's prototype. */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
