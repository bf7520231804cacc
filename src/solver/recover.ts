// Who signed an EIP-712 message, fast: the solver recovers a signer for every post.
//
// Measured on this 2-core machine (bench:solver's CPU profile of the solver, and micro-benchmarks per call):
//   - the curve: ethers' recovery (pure JavaScript) took 1.45-1.6 ms a call against 0.047 ms for libsecp256k1 through
//     the secp256k1 package's prebuilt binding, which does it here (ethers' recovery is the fallback where no binding
//     loads);
//   - the hashing: ethers' TypedDataEncoder.hash, over its pure-JavaScript keccak and hex strings, took 63 µs for an
//     OfferPost, and its checksummed address of the recovered key 9 µs more: together 3.4 s of the solver's 28 s busy
//     for 20,000 posts, more than the curve. hash-wasm's WASM keccak takes 1.3 µs for 64 bytes against 10-15 µs for
//     @noble/hashes' (ethers'), so the digest of a flat struct (fields of the types below, the solver's own signed
//     types) is encoded here over bytes and hashed with it; anything else, or a value that needs ethers' checks, goes
//     through ethers' encoder as before. The test checks digest for digest against ethers.
// The signature's checks stay ethers' (Signature.from: r and s in range, low s, v).

import { createKeccak, type IHasher } from "hash-wasm";
import {
  getBytes,
  keccak256,
  recoverAddress,
  Signature,
  TypedDataEncoder,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

type Secp256k1 = {
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed: boolean): Uint8Array;
};

function loadBinding(): Secp256k1 | undefined {
  try {
    // The native binding only (not the package's elliptic fallback, slower than ethers).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional native module, loaded when present
    return require("secp256k1/bindings") as Secp256k1;
  } catch {
    return undefined;
  }
}

const binding = loadBinding();

/** hash-wasm's keccak, once its WASM module has loaded (a few ms after import); ethers' keccak until then. */
let wasmKeccak: IHasher | undefined;
const wasmKeccakLoaded: Promise<void> = createKeccak(256).then(
  (hasher) => void (wasmKeccak = hasher),
  () => undefined,
);

/** keccak256 of `data` (one synchronous init/update/digest: the shared hasher is never seen mid-hash). */
function keccak(data: Uint8Array): Uint8Array {
  if (!wasmKeccak) return getBytes(keccak256(data));
  wasmKeccak.init();
  wasmKeccak.update(data);
  return wasmKeccak.digest("binary");
}

const utf8 = new TextEncoder();
const HEX_ADDRESS = /^0x(?:[0-9a-f]{40}|[0-9A-F]{40})$/;
const HEX_BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * A field's 32-byte encoding written at `out[offset..]`, or false when the value needs ethers' rules (a mixed-case
 * address, whose checksum ethers checks; anything malformed, which ethers refuses with its own error).
 */
type FieldWriter = (value: unknown, out: Uint8Array, offset: number) => boolean;

const FIELD_WRITERS: Record<string, FieldWriter> = {
  string: (value, out, offset) => {
    if (typeof value !== "string") return false;
    out.set(keccak(utf8.encode(value)), offset);
    return true;
  },
  address: (value, out, offset) => {
    if (typeof value !== "string" || !HEX_ADDRESS.test(value)) return false;
    out.fill(0, offset, offset + 12);
    out.set(Buffer.from(value.slice(2), "hex"), offset + 12);
    return true;
  },
  bytes32: (value, out, offset) => {
    if (typeof value !== "string" || !HEX_BYTES32.test(value)) return false;
    out.set(Buffer.from(value.slice(2), "hex"), offset);
    return true;
  },
};

/** A one-struct type whose fields all have a writer: its type hash and the writers in field order. */
interface FlatStruct {
  typeHash: Uint8Array;
  fields: { name: string; write: FieldWriter }[];
}

/** Encoders by their types object (the solver's are constants): built once. */
const encoders = new WeakMap<Record<string, TypedDataField[]>, { ethers: TypedDataEncoder; flat?: FlatStruct }>();
/** Domain separators by their fields. */
const domains = new Map<string, Uint8Array>();

function encoderOf(types: Record<string, TypedDataField[]>) {
  let encoder = encoders.get(types);
  if (encoder) return encoder;
  const ethers = TypedDataEncoder.from(types);
  const names = Object.keys(types);
  const fields = types[ethers.primaryType];
  const flat =
    names.length === 1 && fields.every(({ type }) => type in FIELD_WRITERS)
      ? {
          typeHash: keccak(utf8.encode(ethers.encodeType(ethers.primaryType))),
          fields: fields.map(({ name, type }) => ({ name, write: FIELD_WRITERS[type] })),
        }
      : undefined;
  encoders.set(types, (encoder = { ethers, flat }));
  return encoder;
}

/** The struct hash of `value` over bytes, or undefined when a field needs ethers' encoder. */
function flatStructHash(flat: FlatStruct, value: Record<string, unknown>): Uint8Array | undefined {
  const encoded = new Uint8Array(32 * (flat.fields.length + 1));
  encoded.set(flat.typeHash, 0);
  for (let i = 0; i < flat.fields.length; i++) {
    const { name, write } = flat.fields[i];
    if (!write(value[name], encoded, 32 * (i + 1))) return undefined;
  }
  return keccak(encoded);
}

/** The EIP-712 digest of `value`: keccak256(0x1901 ‖ domain separator ‖ struct hash). */
function digestOf(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>) {
  const encoder = encoderOf(types);
  const key = `${String(domain.chainId)} ${domain.name} ${domain.version} ${domain.verifyingContract} ${String(domain.salt)}`;
  let separator = domains.get(key);
  if (!separator) domains.set(key, (separator = getBytes(TypedDataEncoder.hashDomain(domain))));
  const structHash = (encoder.flat && flatStructHash(encoder.flat, value)) ?? getBytes(encoder.ethers.hash(value));
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(separator, 2);
  message.set(structHash, 34);
  return keccak(message);
}

/**
 * The address that signed `value`, in lower case (ethers' verifyTypedData, which checksums it; compare with
 * sameAddress), with the curve work in libsecp256k1 when it loads.
 */
export function recoverTypedDataSigner(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
  signature: string,
): string {
  const digest = digestOf(domain, types, value);
  const sig = Signature.from(signature);
  if (!binding) return recoverAddress(digest, sig).toLowerCase();
  const compact = Buffer.concat([Buffer.from(sig.r.slice(2), "hex"), Buffer.from(sig.s.slice(2), "hex")]);
  const publicKey = binding.ecdsaRecover(compact, sig.yParity, digest, false);
  return `0x${Buffer.from(keccak(publicKey.subarray(1)).subarray(12)).toString("hex")}`;
}

/** Test hook: the digest recoverTypedDataSigner signs over (ethers' TypedDataEncoder.hash gives the same). */
export const typedDataDigest = (
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): string => `0x${Buffer.from(digestOf(domain, types, value)).toString("hex")}`;

/** Resolves once the WASM keccak is in use (tests: to check the fast path, not ethers' fallback). */
export const wasmKeccakReady = (): Promise<void> =>
  wasmKeccakLoaded.then(() => {
    if (!wasmKeccak) throw new Error("hash-wasm's keccak did not load");
  });
