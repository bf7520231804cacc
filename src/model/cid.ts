// IDs: the CIDv0 of a dag-pb node whose Data is the Go JSON of the object, as the reference's
// `CalculateCID` (go-merkledag NodeWithData) computes it. On chain an ID is the bytes32 sha256 digest.

import type { CID as CidType } from "multiformats/cid" with { "resolution-mode": "import" };
import type * as CidModule from "multiformats/cid" with { "resolution-mode": "import" };
import type * as Sha2Module from "multiformats/hashes/sha2" with { "resolution-mode": "import" };
import type * as DagPbModule from "@ipld/dag-pb" with { "resolution-mode": "import" };
import { InvalidCidError } from "./errors";
import { encodeJsonBytes, type Schema } from "./json";

// multiformats is ESM-only but loadable with require() on Node >= 20.19 (its "module-sync" export),
// which keeps the conversions below synchronous. @ipld/dag-pb has no such export: it is imported
// once, asynchronously, which is why the ID functions return Promises.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import of ESM from this CommonJS build is an error (TS1479); require() keeps it synchronous
const { CID } = require("multiformats/cid") as typeof CidModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- same: ESM-only, loaded synchronously
const { sha256 } = require("multiformats/hashes/sha2") as typeof Sha2Module;

let dagPb: Promise<typeof DagPbModule> | undefined;
const loadDagPb = (): Promise<typeof DagPbModule> => (dagPb ??= import("@ipld/dag-pb"));

const DAG_PB_CODE = 0x70;
const SHA2_256_CODE = 0x12;

/** A dag-pb node with `data` as its Data and no Links: `0x0a ‖ uvarint(len) ‖ data`, not UnixFS-wrapped. */
export async function encodeDagPbBlock(data: Uint8Array): Promise<Uint8Array> {
  const { encode, prepare } = await loadDagPb();
  return encode(prepare({ Data: data }));
}

/** The CIDv0 ("Qm…") of a block: base58btc of `0x12 0x20 ‖ sha256(block)`. */
export async function cidOfBlock(block: Uint8Array): Promise<string> {
  return CID.createV0(await sha256.digest(block)).toString();
}

/**
 * The reference's `CalculateCID`: CIDv0 of the dag-pb block holding the Go JSON of `value`.
 * `calculateCid({}, someStructSchemaWithNoFields)` is "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4".
 */
export async function calculateCid(value: unknown, schema: Schema): Promise<string> {
  return cidOfBlock(await encodeDagPbBlock(encodeJsonBytes(value, schema)));
}

/** True when `value` is a CIDv0 string ("Qm…", sha2-256 over dag-pb). */
export function isCidV0(value: string): boolean {
  if (typeof value !== "string" || !value.startsWith("Qm") || value.length !== 46) return false;
  try {
    return CID.parse(value).version === 0;
  } catch {
    return false;
  }
}

/** True when `value` parses as a CID of any version (base58btc or base32 for CIDv1). */
export function isCid(value: string): boolean {
  try {
    CID.parse(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bytes32 an ID travels as on chain: `0x` + hex of the sha256 digest inside the CID.
 * Accepts a CIDv0, or a CIDv1 that is also dag-pb over sha2-256 (the same digest); anything else
 * would not convert back to the same ID and throws InvalidCidError.
 */
export function cidToBytes32(cid: string): `0x${string}` {
  let parsed: CidType;
  try {
    parsed = CID.parse(cid);
  } catch (error) {
    throw new InvalidCidError(String(cid), `not a CID (${(error as Error).message})`, { cause: error });
  }
  if (parsed.code !== DAG_PB_CODE) {
    throw new InvalidCidError(cid, `codec 0x${parsed.code.toString(16)} is not dag-pb (0x70)`);
  }
  if (parsed.multihash.code !== SHA2_256_CODE || parsed.multihash.size !== 32) {
    throw new InvalidCidError(cid, `hash 0x${parsed.multihash.code.toString(16)} is not sha2-256 (0x12, 32 bytes)`);
  }
  return `0x${Buffer.from(parsed.multihash.digest).toString("hex")}`;
}

const bytes32 = /^0x[0-9a-fA-F]{64}$/;

/** The CIDv0 ("Qm…") of an on-chain bytes32 ID. */
export function bytes32ToCid(hex: string): string {
  if (typeof hex !== "string" || !bytes32.test(hex)) {
    throw new InvalidCidError(String(hex), "not a bytes32 (0x followed by 64 hex digits)");
  }
  const digest = Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
  const multihash = new Uint8Array(34);
  multihash.set([SHA2_256_CODE, 32]);
  multihash.set(digest, 2);
  return CID.decode(multihash).toString();
}
