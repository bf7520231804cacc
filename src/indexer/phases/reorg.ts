// Reorgs: the chain no longer has a block the store indexed. Walk back through the stored block hashes to the newest
// block still on the chain (within reorgDepth), roll every entity back to it and let the caller re-apply from there.
// Deeper than reorgDepth (or a different chain under the same deployment): reset and re-index, or fail.

import type { BlockHeader } from "../sync/chain";
import { ReorgTooDeepError, type IndexerCore, type ReorgInfo } from "./core";

export async function handleReorg(core: IndexerCore): Promise<void> {
  const { store, settings, logger } = core;
  const cp = await store.checkpoint();
  if (!cp) return;
  const stored = await store.blockHashes(0);
  const windowStart = cp.blockNumber - settings.reorgDepth;
  const numbers = [...stored.keys()].filter((n) => n <= cp.blockNumber).sort((a, b) => b - a);
  const candidates = numbers.filter((n) => n >= windowStart);
  const older = numbers.find((n) => n < windowStart);
  if (older !== undefined) candidates.push(older);
  const canonical = candidates.length ? await core.reader.headers(candidates) : new Map<number, BlockHeader | null>();
  const ancestor = candidates.find((n) => canonical.get(n)?.hash === stored.get(n));
  if (ancestor === undefined) {
    const whole = windowStart < settings.startBlock;
    if (!whole && settings.onDeepReorg === "error") {
      throw new ReorgTooDeepError(
        `no block of the last ${settings.reorgDepth} below ${cp.blockNumber} is on the chain any more`,
      );
    }
    logger.warn(
      { from: cp.blockNumber },
      whole ? "reorg reaches before the deployment: re-indexing" : "reorg deeper than reorgDepth: re-indexing",
    );
    await store.reset();
    const info: ReorgInfo = { from: cp.blockNumber, to: settings.startBlock - 1, reset: true };
    core.emit("reorg", info);
    return;
  }
  const header = canonical.get(ancestor)!;
  const checkpoint = { blockNumber: ancestor, blockHash: header.hash, timestamp: header.timestamp };
  const changes = await store.rollbackWithChanges(checkpoint);
  logger.warn({ from: cp.blockNumber, to: ancestor, entities: changes.length }, "reorg: rolled back");
  core.emit("reorg", { from: cp.blockNumber, to: ancestor, reset: false });
  core.emit("checkpoint", checkpoint);
  if (changes.length > 0) core.emit("batch", changes, await store.checkpoint());
}
