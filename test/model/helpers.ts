import fs from "node:fs";
import path from "node:path";
import { stringify } from "lossless-json";
import { parseJson, type JsonValue } from "../../src/model";

/** mulberry32: a small seeded PRNG, so every shuffle is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** A copy of `value` whose object keys (at every depth) are in a shuffled order; arrays keep theirs. */
export function shuffleKeys<T>(value: T, random: () => number): T {
  if (Array.isArray(value)) return value.map((item: unknown) => shuffleKeys(item, random)) as T;
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of shuffled(Object.keys(value), random)) {
    Object.defineProperty(copy, key, {
      value: shuffleKeys((value as Record<string, unknown>)[key], random),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy as T;
}

/** JSON text that keeps bigints exact. */
export function stringifyExact(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new Error("not JSON-serializable");
  return text;
}

export type IdVector = {
  kind: "job_offer" | "resource_offer" | "module" | "deal";
  value: JsonValue;
  id: string;
  line: string;
};

export const vectorsFixture = path.join(__dirname, "fixtures", "id-vectors.jsonl");
/** The shared spec beside the repo (absent outside the workplace); the fixture is a copy of it. */
export const vectorsSpec = path.join(__dirname, "..", "..", "..", "shared", "spec", "id-vectors.jsonl");

export function readVectors(): IdVector[] {
  return fs
    .readFileSync(vectorsFixture, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const parsed = parseJson(line) as { kind: IdVector["kind"]; value: JsonValue; id: string };
      return { ...parsed, line };
    });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export const addressA = "0x1111111111111111111111111111111111111111";
export const addressB = "0x2222222222222222222222222222222222222222";
export const addressC = "0x3333333333333333333333333333333333333333";
export const addressD = "0x4444444444444444444444444444444444444444";
export const solver = "0x5555555555555555555555555555555555555555";
