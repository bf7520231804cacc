// Entity IDs: a deal's ID is its CIDv0 ("Qm…"): base58btc of the multihash 0x12 0x20 ‖ the bytes32 the contracts
// carry (the sha256 digest inside the CID). Same for results and metadata CIDs.

import type * as Base58Module from "multiformats/bases/base58" with { "resolution-mode": "import" };

// multiformats is ESM-only but loadable with require() on Node >= 20.19 (its "module-sync" export).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import of ESM from this CommonJS build is an error (TS1479); require() keeps it synchronous
const { base58btc } = require("multiformats/bases/base58") as typeof Base58Module;

const cache = new Map<string, string>();
const CACHE_MAX = 10_000;

/** CIDv0 of a sha256 digest given as 0x-hex bytes32. */
export function cidV0FromDigest(digest: string): string {
  const key = digest.toLowerCase();
  let cid = cache.get(key);
  if (cid === undefined) {
    if (!/^0x[0-9a-f]{64}$/.test(key)) throw new Error(`not a bytes32 digest: ${digest}`);
    const bytes = new Uint8Array(34);
    bytes[0] = 0x12;
    bytes[1] = 0x20;
    bytes.set(Buffer.from(key.slice(2), "hex"), 2);
    cid = base58btc.baseEncode(bytes);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, cid);
  }
  return cid;
}

/** `${txHash}-${logIndex}`: the ID of per-event entities (DealStateChange, Payment). */
export function eventId(transactionHash: string, logIndex: number): string {
  return `${transactionHash.toLowerCase()}-${logIndex}`;
}
