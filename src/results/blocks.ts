// What a block of a results DAG may be, and how it is checked: dag-pb (UnixFS nodes) or raw (leaves), addressed by
// sha2-256. The same rules serve importCar (a remote's blocks) and the store's own reads (a block on disk that no
// longer hashes to its name is as good as missing).

import { createHash } from "node:crypto";
import type { CID as CidType } from "multiformats/cid" with { "resolution-mode": "import" };
import type * as CidModule from "multiformats/cid" with { "resolution-mode": "import" };
import { cidToBytes32 } from "../model/cid";
import { loadDagPb } from "./esm";

// multiformats loads synchronously (its "module-sync" export), as in src/model/cid.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import of ESM from this CommonJS build is an error (TS1479); require() keeps it synchronous
const { CID } = require("multiformats/cid") as typeof CidModule;

export type { CidType as CID };

export const DAG_PB_CODE = 0x70;
export const RAW_CODE = 0x55;
export const SHA2_256_CODE = 0x12;

/**
 * The largest block accepted: 2 MiB, what IPFS implementations exchange. The importer's blocks are at most a 256 KiB
 * chunk plus its node, or a directory below the 256 KiB sharding threshold.
 */
export const MAX_BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A results root: a dag-pb CID over sha2-256 (the CIDv0 "Qm…" form, or the same block as CIDv1). Throws
 * InvalidCidError, through the data model's own check of an ID.
 */
export function parseRoot(cid: string): CidType {
  cidToBytes32(cid);
  return CID.parse(cid);
}

/** The block a CID names, whatever its version: the store files blocks by multihash, so v0 and v1 meet here. */
export function blockKey(cid: CidType): string {
  return `${cid.code}:${Buffer.from(cid.multihash.bytes).toString("hex")}`;
}

/** Why a block's CID is not one this store takes, or undefined when it is. */
export function unsupportedCid(cid: CidType): "hash" | "codec" | undefined {
  if (cid.multihash.code !== SHA2_256_CODE || cid.multihash.size !== 32) return "hash";
  if (cid.code !== DAG_PB_CODE && cid.code !== RAW_CODE) return "codec";
  return undefined;
}

/** True when `bytes` hash (sha2-256) to the digest in `cid`. */
export function digestMatches(cid: CidType, bytes: Uint8Array): boolean {
  const digest = createHash("sha256").update(bytes).digest();
  return Buffer.from(cid.multihash.digest).equals(digest);
}

/** The CIDs a block links to, in link order: a dag-pb node's Links, none for a raw leaf. Throws when it does not decode. */
export async function linksOf(cid: CidType, bytes: Uint8Array): Promise<CidType[]> {
  if (cid.code !== DAG_PB_CODE) return [];
  const { decode } = await loadDagPb();
  return decode(bytes).Links.map((link) => link.Hash);
}
