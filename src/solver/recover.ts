// Who signed an EIP-712 message, fast: the solver recovers a signer for every post, and ethers' recovery (pure
// JavaScript) was 38 % of the solver's CPU per offer in bench:solver (1.45-1.6 ms a call against 0.047 ms for
// libsecp256k1 through the secp256k1 package's prebuilt binding, measured on this 2-core machine). The digest and the
// signature's checks stay ethers' (TypedDataEncoder, Signature.from: r and s in range, low s, v); only the curve
// arithmetic moves to the binding, with ethers' recovery as the fallback where no binding loads.

import {
  getAddress,
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

/** Encoders by their types object (the solver's are constants): built once. */
const encoders = new WeakMap<Record<string, TypedDataField[]>, TypedDataEncoder>();
/** Domain separators by their fields. */
const domains = new Map<string, string>();

function digestOf(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>) {
  let encoder = encoders.get(types);
  if (!encoder) encoders.set(types, (encoder = TypedDataEncoder.from(types)));
  const key = `${String(domain.chainId)} ${domain.name} ${domain.version} ${domain.verifyingContract} ${String(domain.salt)}`;
  let separator = domains.get(key);
  if (!separator) domains.set(key, (separator = TypedDataEncoder.hashDomain(domain)));
  return keccak256(`0x1901${separator.slice(2)}${encoder.hash(value).slice(2)}`);
}

/** The address that signed `value` (ethers' verifyTypedData, with the curve work in libsecp256k1 when it loads). */
export function recoverTypedDataSigner(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
  signature: string,
): string {
  const digest = digestOf(domain, types, value);
  const sig = Signature.from(signature);
  if (!binding) return recoverAddress(digest, sig);
  const compact = Buffer.concat([Buffer.from(sig.r.slice(2), "hex"), Buffer.from(sig.s.slice(2), "hex")]);
  const publicKey = binding.ecdsaRecover(compact, sig.yParity, Buffer.from(digest.slice(2), "hex"), false);
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
}
