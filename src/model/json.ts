// A JSON encoder that writes what Go 1.21's `encoding/json.Marshal` writes for the reference structs,
// byte for byte: IDs are hashes of these bytes, so any difference is a different ID.
//
// Go marshals a typed struct, so the output is driven by a schema (field order of the Go declaration),
// never by the key order of the JS object handed in.

import { AccordValidationError } from "./errors";
import { integerRules, integerViolation, type IntegerKind } from "./integers";
import { indexPath, memberPath } from "./paths";

/** Extra rules the validator applies to a string field; the encoder ignores them. */
export type StringFormat =
  /** a 20-byte hex address, or "" (unset) */
  | "address"
  /** a 20-byte hex address, never "" */
  | "required-address"
  /** a CIDv0 ("Qm…"), or "" */
  | "cid-v0"
  /** any CID string, or "" */
  | "cid"
  /** "MarketPrice" or "FixedPrice" */
  | "pricing-mode";

/** The Go type of a value, as far as JSON encoding is concerned. */
export type Schema =
  | { readonly kind: "string"; readonly format?: StringFormat }
  | { readonly kind: "bool" }
  | { readonly kind: IntegerKind }
  /** Opaque JSON, marshalled as Go marshals a decoded `interface{}` (see `encodeJsonValue`). */
  | { readonly kind: "json" }
  | { readonly kind: "slice"; readonly elem: Schema }
  /** Go `map[string]T`. */
  | { readonly kind: "map"; readonly value: Schema }
  | { readonly kind: "struct"; readonly name: string; readonly fields: readonly StructField[] };

export type StructField = readonly [jsonName: string, schema: Schema];

export const goString = (format?: StringFormat): Schema => (format ? { kind: "string", format } : { kind: "string" });
export const goBool: Schema = { kind: "bool" };
export const goInt: Schema = { kind: "int" };
export const goUint8: Schema = { kind: "uint8" };
export const goUint64: Schema = { kind: "uint64" };
export const opaqueJson: Schema = { kind: "json" };
export const goSlice = (elem: Schema): Schema => ({ kind: "slice", elem });
export const goMap = (value: Schema): Schema => ({ kind: "map", value });
export const goStruct = (name: string, fields: readonly StructField[]): Schema & { kind: "struct" } => ({
  kind: "struct",
  name,
  fields,
});

/**
 * `value` as Go's `json.Marshal` would write the Go value it stands for.
 *
 * How a JS value stands for a Go value:
 * - a missing (`undefined`) or `null` string is "", number 0, bool false, struct its zero value;
 * - a slice or map that is `undefined` or `null` is Go's nil (`null`); `[]` / `{}` are empty ones;
 * - uint64 and int accept a bigint, or a number that is a safe integer; anything else throws;
 * - map keys are sorted by their UTF-8 bytes; map entries whose value is `undefined` are left out;
 * - keys of a struct that its schema does not declare are ignored (Go would never see them).
 *
 * Throws AccordValidationError (with the JSON path) for a value that does not fit its schema.
 */
export function encodeJson(value: unknown, schema: Schema): string {
  return encodeValue(value, schema, "");
}

const textEncoder = new TextEncoder();

/** `encodeJson` as UTF-8 bytes: the exact bytes an ID is computed over. */
export function encodeJsonBytes(value: unknown, schema: Schema): Uint8Array {
  // Every string was made well-formed on the way, so UTF-8 encoding is lossless here.
  return textEncoder.encode(encodeJson(value, schema));
}

function fail(path: string, rule: string): never {
  throw new AccordValidationError(path, rule);
}

/** A struct's field names, quoted, and their paths' suffixes: the same for every value, so worked out once. */
interface StructLayout {
  keys: string[];
  suffixes: string[];
}

const layouts = new WeakMap<Schema, StructLayout>();

function layoutOf(schema: Schema & { kind: "struct" }): StructLayout {
  let layout = layouts.get(schema);
  if (!layout) {
    layout = {
      keys: schema.fields.map(([name], i) => (i > 0 ? "," : "") + quoteJsonString(name) + ":"),
      // memberPath("x", name) is "x" + suffix for a non-empty base.
      suffixes: schema.fields.map(([name]) => memberPath("x", name).slice(1)),
    };
    layouts.set(schema, layout);
  }
  return layout;
}

// The encoder builds strings by concatenation (V8 ropes, flattened once by the caller's UTF-8 encoding) rather than
// pushing parts onto an array: it is most of an offer's ID recomputation, which the solver does for every post.
function encodeValue(value: unknown, schema: Schema, path: string): string {
  switch (schema.kind) {
    case "string":
      if (value === undefined || value === null) return '""';
      if (typeof value !== "string") fail(path, "must be a string");
      return quoteJsonString(value);
    case "bool":
      if (value === undefined || value === null) return "false";
      if (typeof value !== "boolean") fail(path, "must be a boolean");
      return value ? "true" : "false";
    case "int":
    case "uint8":
    case "uint64":
      return integerText(value, schema.kind, path);
    case "json":
      return encodeJsonValue(value, path, new Set());
    case "slice": {
      if (value === undefined || value === null) return "null";
      if (!Array.isArray(value)) fail(path, "must be an array or null");
      let text = "[";
      for (let i = 0; i < value.length; i++) {
        if (i > 0) text += ",";
        text += encodeValue(value[i], schema.elem, indexPath(path, i));
      }
      return text + "]";
    }
    case "map": {
      if (value === undefined || value === null) return "null";
      if (!isPlainObject(value)) fail(path, "must be an object or null");
      const entries = sortedEntries(value, path);
      let text = "{";
      for (let i = 0; i < entries.length; i++) {
        const [key, item] = entries[i];
        text += (i > 0 ? "," : "") + quoteJsonString(key) + ":";
        text += encodeValue(item, schema.value, memberPath(path, key));
      }
      return text + "}";
    }
    case "struct": {
      if (value !== undefined && value !== null && !isPlainObject(value)) fail(path, "must be an object");
      const record = value ?? {};
      const { keys, suffixes } = layoutOf(schema);
      const fields = schema.fields;
      let text = "{";
      for (let i = 0; i < fields.length; i++) {
        const [name, fieldSchema] = fields[i];
        const field = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
        text += keys[i] + encodeValue(field, fieldSchema, path === "" ? name : path + suffixes[i]);
      }
      return text + "}";
    }
  }
}

function integerText(value: unknown, kind: IntegerKind, path: string): string {
  if (value === undefined || value === null) return "0";
  if (typeof value !== "bigint" && typeof value !== "number") fail(path, integerRules[kind]);
  const violation = integerViolation(value, kind);
  if (violation) fail(path, violation);
  // BigInt() also turns a number -0 into 0: Go integers have no negative zero.
  return typeof value === "number" ? BigInt(value).toString() : value.toString();
}

/**
 * Opaque JSON (Module.job) is marshalled as Go marshals the `interface{}` that `json.Unmarshal` decodes
 * it into: objects become `map[string]interface{}` (keys sorted by UTF-8 bytes), numbers float64.
 * A JS number is written as Go writes a float64 (shortest round-trip digits, exponent form below 1e-6
 * and from 1e21, `-0` kept); a bigint is written in full, as a `json.Number` would be.
 */
function encodeJsonValue(value: unknown, path: string, seen: Set<object>): string {
  if (value === undefined || value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return quoteJsonString(value);
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) fail(path, "must be a finite number (Go cannot marshal NaN or Infinity)");
      // JS and Go's float64 formatting agree: same shortest digits, same 1e-6 / 1e21 switch to exponent
      // form, same "e-7" / "e+21" exponents. Only -0 differs: JS prints "0".
      return Object.is(value, -0) ? "-0" : String(value);
    case "object": {
      if (seen.has(value)) fail(path, "must not contain a cycle");
      seen.add(value);
      let text: string;
      if (Array.isArray(value)) {
        text = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) text += ",";
          text += encodeJsonValue(value[i], indexPath(path, i), seen);
        }
        text += "]";
      } else if (isPlainObject(value)) {
        const entries = sortedEntries(value, path);
        text = "{";
        for (let i = 0; i < entries.length; i++) {
          const [key, item] = entries[i];
          text += (i > 0 ? "," : "") + quoteJsonString(key) + ":";
          text += encodeJsonValue(item, memberPath(path, key), seen);
        }
        text += "}";
      } else {
        fail(path, "must be JSON data (null, boolean, number, bigint, string, array or plain object)");
      }
      seen.delete(value);
      return text;
    }
    default:
      fail(path, "must be JSON data (null, boolean, number, bigint, string, array or plain object)");
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A map's entries with well-formed keys, in Go's order (UTF-8 bytes); undefined values left out. */
function sortedEntries(map: Record<string, unknown>, path: string): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(map)) {
    if (map[key] !== undefined) entries.push([toWellFormed(key), map[key]]);
  }
  entries.sort((a, b) => compareUtf8(a[0], b[0]));
  for (let i = 1; i < entries.length; i++) {
    // Two JS keys that differ only in lone surrogates are one key in Go (both become U+FFFD).
    if (entries[i - 1][0] === entries[i][0]) {
      fail(memberPath(path, entries[i][0]), "is a duplicate key once lone surrogates are replaced by U+FFFD");
    }
  }
  return entries;
}

/**
 * Orders strings by their UTF-8 bytes (= by code points), as Go's `strings.Compare` orders map keys.
 * JS's default (UTF-16 code unit) order differs in one case: a character above U+FFFF (a surrogate
 * pair, 0xD800–0xDFFF) sorts before U+E000–U+FFFF in UTF-16 but after them in UTF-8.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xIsSurrogate = x >= 0xd800 && x <= 0xdfff;
    const yIsSurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xIsSurrogate !== yIsSurrogate) return xIsSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const anySurrogate = /[\uD800-\uDFFF]/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces lone surrogates by U+FFFD. A Go string holds UTF-8, so a lone surrogate has no Go
 * counterpart: Go's decoder turns a `"\ud800"` escape into U+FFFD, and a Go peer reading the same
 * JSON text hashes U+FFFD (written raw, like any valid character).
 */
export function toWellFormed(value: string): string {
  return anySurrogate.test(value) ? value.replace(loneSurrogate, "\uFFFD") : value;
}

const escapes: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  // Go escapes these by default (HTML-safe output) …
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  // … and these, which JavaScript source once could not hold raw.
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

// eslint-disable-next-line no-control-regex -- Go escapes every control character: matching U+0000-U+001F is the point
const needsEscape = /["\\\u0000-\u001f<>&\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- as needsEscape, and any surrogate (toWellFormed's work)
const needsWork = /["\\\u0000-\u001f<>&\u2028\u2029\uD800-\uDFFF]/;

/**
 * A string as Go 1.21 quotes it: `"` `\` and `\n` `\r` `\t` escaped as such, every other control
 * character as `\u00XX` (lower-case hex; Go 1.22 added `\b` `\f`, 1.21 has not), `<` `>` `&` and
 * U+2028/U+2029 as `\uXXXX`; DEL and all other non-ASCII raw. Lone surrogates become U+FFFD.
 */
export function quoteJsonString(value: string): string {
  // Most strings (addresses, CIDs, names) hold nothing to replace: one scan, and no replace() calls.
  if (!needsWork.test(value)) return `"${value}"`;
  const escaped = toWellFormed(value).replace(
    needsEscape,
    (c) => escapes[c] ?? `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return `"${escaped}"`;
}
