// Checking blocks received from someone else, one at a time: each must be a block this store takes (dag-pb or raw
// over sha2-256, at most MAX_BLOCK_BYTES), hash to its CID, and have its place in the DAG under the expected root:
// linked from a block already accepted (any order: importCar), or exactly the next block of the depth-first walk
// (the trustless gateway's "dfs" order with each block once: what paid retrieval counts its bytes by). A block is
// checked before anything is done with it (stored, paid for), so nothing unverified goes further.

import { blockKey, digestMatches, linksOf, MAX_BLOCK_BYTES, unsupportedCid, type CID } from "./blocks";
import { ResultsVerificationError } from "./errors";

export type Block = { cid: CID; bytes: Uint8Array };

/** Checks one received block on its own (its CID's kind, size, digest, dag-pb shape); returns its links. */
export async function verifyBlock(block: Block): Promise<CID[]> {
  const id = block.cid.toString();
  const unsupported = unsupportedCid(block.cid);
  if (unsupported === "hash") throw new ResultsVerificationError("hash", `block ${id} is not addressed by sha2-256`);
  if (unsupported === "codec") throw new ResultsVerificationError("codec", `block ${id} is neither dag-pb nor raw`);
  if (block.bytes.length > MAX_BLOCK_BYTES) {
    throw new ResultsVerificationError("block-too-large", `block ${id} has ${block.bytes.length} bytes`);
  }
  if (!digestMatches(block.cid, block.bytes)) {
    throw new ResultsVerificationError("digest", `block ${id}'s bytes do not hash to its CID`);
  }
  try {
    return await linksOf(block.cid, block.bytes);
  } catch (error) {
    throw new ResultsVerificationError("malformed", `block ${id} is not valid dag-pb`, { cause: error });
  }
}

/**
 * The state of one DAG being received: which blocks were accepted and which are linked and still due. In "dfs"
 * order the next block is fixed (the top of the walk's stack, skipping blocks already accepted, as a dups=n CAR
 * does); in "any" order it may be any block linked from an accepted one.
 */
export class DagVerifier {
  /** Linked from an accepted block (or the root) and not received yet. */
  readonly #wanted = new Map<string, CID>();
  readonly #received = new Set<string>();
  /** "dfs" order only: the walk still to do, the next block on top. */
  readonly #stack: CID[] | undefined;

  constructor(
    readonly root: CID,
    readonly order: "dfs" | "any",
  ) {
    this.#wanted.set(blockKey(root), root);
    if (order === "dfs") this.#stack = [root];
  }

  /** How many distinct blocks were accepted. */
  get accepted(): number {
    return this.#received.size;
  }

  /** In "dfs" order, the CID the next block must have; undefined once the walk is done (or in "any" order). */
  expected(): CID | undefined {
    const stack = this.#stack;
    if (stack === undefined) return undefined;
    while (stack.length > 0 && this.#received.has(blockKey(stack[stack.length - 1]))) stack.pop();
    return stack[stack.length - 1];
  }

  /** True when every block linked so far was received (in "dfs" order: the whole DAG). */
  get complete(): boolean {
    return this.#wanted.size === 0;
  }

  /** The blocks linked and not received. */
  missing(): CID[] {
    return [...this.#wanted.values()];
  }

  /**
   * Checks `block` and records it. Resolves false for a block already accepted in "any" order (a CAR may repeat
   * one; it is skipped), true for a new one. Throws ResultsVerificationError: "unexpected-block" for a block out of
   * place (not linked from an accepted block; in "dfs" order, not the next one), else verifyBlock's reasons.
   */
  async accept(block: Block): Promise<boolean> {
    const key = blockKey(block.cid);
    if (this.#stack !== undefined) {
      const expected = this.expected();
      if (expected === undefined || blockKey(expected) !== key) {
        throw new ResultsVerificationError(
          "unexpected-block",
          `block ${block.cid.toString()} is not the next block of the DAG in depth-first order` +
            (expected === undefined ? " (the DAG is complete)" : ` (${expected.toString()} is)`),
        );
      }
    } else {
      if (this.#received.has(key)) return false;
      if (!this.#wanted.has(key)) {
        throw new ResultsVerificationError(
          "unexpected-block",
          `block ${block.cid.toString()} is not linked from an earlier block of the DAG`,
        );
      }
    }
    const links = await verifyBlock(block);
    this.#wanted.delete(key);
    this.#received.add(key);
    for (const link of links) {
      const linkKey = blockKey(link);
      if (!this.#received.has(linkKey)) this.#wanted.set(linkKey, link);
    }
    if (this.#stack !== undefined) {
      this.#stack.pop();
      for (let i = links.length - 1; i >= 0; i--) this.#stack.push(links[i]);
    }
    return true;
  }
}
