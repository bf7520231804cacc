// BLS12-381 for operator quorums, in the "minimal-signature-size" variant: signatures in G1 (cheap to hash to
// on chain: two map-to-G1 precompile calls at 5,500 gas each, against 23,800 each in G2), public keys in G2.
// Points travel in the EIP-2537 encoding the precompiles take (every field element as 64 bytes, big-endian,
// top 16 bytes zero; Fp2 as c0 then c1; the point at infinity as all zeros), so what the operator node signs
// and sends is exactly what `TaskManager` and `OperatorRegistry` check.
//
// Hash-to-curve is RFC 9380's BLS12381G1_XMD:SHA-256_SSWU_RO_ (noble's `hashToCurve`), the same as the
// contracts' BLSG1 library; the DSTs are the IETF BLS signature draft's proof-of-possession ciphersuite,
// one for messages and one for the proofs, so a proof of possession can never be replayed as a signature.

import { bls12_381 } from "@noble/curves/bls12-381";
import { keccak256 } from "ethers";

import { AccordError } from "../model/errors";

/** The ciphersuite for task-response signatures (the IETF draft's POP scheme, signatures in G1). */
export const BLS_SIGNATURE_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";
/** The ciphersuite for proofs of possession (same curve and hash, a distinct tag). */
export const BLS_POP_DST = "BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";

/** Bytes of a G1 point in the EIP-2537 encoding. */
export const G1_POINT_BYTES = 128;
/** Bytes of a G2 point in the EIP-2537 encoding. */
export const G2_POINT_BYTES = 256;

const G1 = bls12_381.G1.ProjectivePoint;
const G2 = bls12_381.G2.ProjectivePoint;
const Fp = bls12_381.fields.Fp;
const ORDER = bls12_381.params.r;

export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;
/** A BLS secret key: a scalar in [1, r). */
export type BlsSecretKey = bigint;

/** A BLS input (key, signature, point encoding) is malformed; `field` names which. */
export class BlsInputError extends AccordError {
  override name = "BlsInputError";
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** A fresh secret key from the platform's CSPRNG (noble's reduction of 48 random bytes mod r, bias-free). */
export function randomBlsSecretKey(): BlsSecretKey {
  return bytesToScalar(bls12_381.utils.randomPrivateKey());
}

/** A secret key from its 32-byte big-endian encoding, refused when zero or not below the group order. */
export function blsSecretKeyFromBytes(bytes: Uint8Array, field = "secretKey"): BlsSecretKey {
  if (bytes.length !== 32) throw new BlsInputError(field, `expected 32 bytes, got ${bytes.length}`);
  const scalar = bytesToScalar(bytes);
  if (scalar === 0n || scalar >= ORDER) throw new BlsInputError(field, "not a scalar in [1, r)");
  return scalar;
}

/** The 32-byte big-endian encoding of a secret key. */
export function blsSecretKeyToBytes(secretKey: BlsSecretKey): Uint8Array {
  return hexToBytes(secretKey.toString(16).padStart(64, "0"));
}

/** The G2 public key of a secret key. */
export function blsPublicKey(secretKey: BlsSecretKey): G2Point {
  return G2.BASE.multiply(secretKey);
}

/** RFC 9380 hash_to_curve into G1 under `dst`. */
export function hashToG1(message: Uint8Array, dst: string): G1Point {
  return G1.fromAffine(bls12_381.G1.hashToCurve(message, { DST: dst }).toAffine());
}

/** The signature of `message` (a 32-byte digest, as the contracts sign) under `dst`. */
export function blsSign(secretKey: BlsSecretKey, message: Uint8Array, dst = BLS_SIGNATURE_DST): G1Point {
  return hashToG1(message, dst).multiply(secretKey);
}

/** Whether `signature` is `publicKey`'s over `message`: e(signature, g2) = e(H(message), publicKey). */
export function blsVerify(
  signature: G1Point,
  publicKey: G2Point,
  message: Uint8Array,
  dst = BLS_SIGNATURE_DST,
): boolean {
  if (signature.equals(G1.ZERO) || publicKey.equals(G2.ZERO)) return false;
  const lhs = bls12_381.pairing(signature, G2.BASE);
  const rhs = bls12_381.pairing(hashToG1(message, dst), publicKey);
  return bls12_381.fields.Fp12.eql(lhs, rhs);
}

/** The sum of G1 points (signatures); the identity for none. */
export function aggregateG1(points: readonly G1Point[]): G1Point {
  return points.reduce((sum, point) => sum.add(point), G1.ZERO);
}

/** The sum of G2 points (public keys); the identity for none. */
export function aggregateG2(points: readonly G2Point[]): G2Point {
  return points.reduce((sum, point) => sum.add(point), G2.ZERO);
}

/** A G1 point as the EIP-2537 precompiles take it (128 bytes, 0x-hex). */
export function encodeG1(point: G1Point): string {
  if (point.equals(G1.ZERO)) return "0x" + "00".repeat(G1_POINT_BYTES);
  const { x, y } = point.toAffine();
  return "0x" + fpHex(x) + fpHex(y);
}

/** A G2 point as the EIP-2537 precompiles take it (256 bytes, 0x-hex: x.c0, x.c1, y.c0, y.c1). */
export function encodeG2(point: G2Point): string {
  if (point.equals(G2.ZERO)) return "0x" + "00".repeat(G2_POINT_BYTES);
  const { x, y } = point.toAffine();
  return "0x" + fpHex(x.c0) + fpHex(x.c1) + fpHex(y.c0) + fpHex(y.c1);
}

/** A G1 point from its EIP-2537 encoding, checked on the curve and in the subgroup. */
export function decodeG1(encoded: string | Uint8Array, field = "signature"): G1Point {
  const words = fpWords(encoded, G1_POINT_BYTES, field);
  if (words.every((w) => w === 0n)) return G1.ZERO;
  const [x, y] = words as [bigint, bigint];
  return checked(() => G1.fromAffine({ x, y }), field);
}

/** A G2 point from its EIP-2537 encoding, checked on the curve and in the subgroup. */
export function decodeG2(encoded: string | Uint8Array, field = "publicKey"): G2Point {
  const words = fpWords(encoded, G2_POINT_BYTES, field);
  if (words.every((w) => w === 0n)) return G2.ZERO;
  const [x0, x1, y0, y1] = words as [bigint, bigint, bigint, bigint];
  const Fp2 = bls12_381.fields.Fp2;
  return checked(() => G2.fromAffine({ x: Fp2.create({ c0: x0, c1: x1 }), y: Fp2.create({ c0: y0, c1: y1 }) }), field);
}

/** The hash a public key is known by on chain (the order non-signers are sorted in): keccak256 of its encoding. */
export function blsKeyHash(publicKey: G2Point): string {
  return keccak256(encodeG2(publicKey));
}

/** The G2 generator and identity, and the G1 identity, for callers building aggregates. */
export const G1_ZERO: G1Point = G1.ZERO;
export const G2_ZERO: G2Point = G2.ZERO;
export const G2_GENERATOR: G2Point = G2.BASE;

function checked<P extends { assertValidity(): void }>(build: () => P, field: string): P {
  let point: P;
  try {
    point = build();
    point.assertValidity();
  } catch (error) {
    throw new BlsInputError(field, `not a point of the prime-order subgroup (${(error as Error).message})`);
  }
  return point;
}

function fpWords(encoded: string | Uint8Array, length: number, field: string): bigint[] {
  const bytes = typeof encoded === "string" ? hexInput(encoded, field) : encoded;
  if (bytes.length !== length) throw new BlsInputError(field, `expected ${length} bytes, got ${bytes.length}`);
  const words: bigint[] = [];
  for (let offset = 0; offset < length; offset += 64) {
    if (bytes.subarray(offset, offset + 16).some((b) => b !== 0)) {
      throw new BlsInputError(field, "a field element's top 16 bytes are not zero");
    }
    const value = bytesToScalar(bytes.subarray(offset + 16, offset + 64));
    if (value >= Fp.ORDER) throw new BlsInputError(field, "a field element is not below the field modulus");
    words.push(value);
  }
  return words;
}

function hexInput(hex: string, field: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new BlsInputError(field, "not 0x-prefixed hex bytes");
  return hexToBytes(hex.slice(2));
}

function fpHex(value: bigint): string {
  return value.toString(16).padStart(128, "0");
}

function bytesToScalar(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
