// Where a deal lives on chain and who mediates it: the same two formulas as DealHashing.sol, for every
// off-chain reader (clients, the embedded indexer, agents), so none of them re-derives them.
import { AbiCoder, keccak256 } from "ethers";
import { cidToBytes32, isCid } from "./cid";

const abi = AbiCoder.defaultAbiCoder();

/** The EVM keeps the hashes of the last 256 blocks: an unfixed draw expires after them (DealStore.BLOCKHASH_WINDOW). */
export const BLOCKHASH_WINDOW = 256;

/**
 * `DealHashing.dealKey`: keccak256(abi.encode(dealId, jobCreator, resourceProvider)). The market stores each deal
 * under this key, so records that share a deal ID but not parties never meet. `dealId` is the deal's CID or its
 * bytes32 digest.
 */
export function dealKey(dealId: string, jobCreator: string, resourceProvider: string): string {
  const id = isCid(dealId) ? cidToBytes32(dealId) : dealId;
  return keccak256(abi.encode(["bytes32", "address", "address"], [id, jobCreator, resourceProvider]));
}

/**
 * `DealHashing.drawIndex`: the index of the mediator drawn for the deal under `key` from the hash of its draw block
 * (the block that logged `MediationRequested`).
 */
export function mediatorDrawIndex(drawBlockHash: string, key: string, mediatorCount: number): number {
  if (!Number.isInteger(mediatorCount) || mediatorCount <= 0) {
    throw new RangeError(`mediatorCount must be a positive integer, got ${mediatorCount}`);
  }
  const word = BigInt(keccak256(abi.encode(["bytes32", "bytes32"], [drawBlockHash, key])));
  return Number(word % BigInt(mediatorCount));
}
