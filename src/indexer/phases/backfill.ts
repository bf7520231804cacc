// The backfill: from the checkpoint (or the subgraph's start block) to the head seen when it begins, or toBlock.

import type { IndexerCore } from "./core";
import { syncTo } from "./ranges";

/**
 * A full GC during the backfill, when the JS heap has grown `headroomMiB` past what it was when the backfill
 * began. Most of what a batch allocates (raw logs, records, COPY text) lives long enough to be promoted, and V8
 * lets such garbage pile up to a few hundred MiB before collecting it; with PGlite's ~210 MiB baseline that
 * decides the process's peak RSS. Collecting early keeps the peak well under 400 MiB for about no cost (the live
 * set is small). The library never exposes gc itself: the caller passes it (`accord index` opts in).
 */
function heapGovernor(headroomMiB: number, gc: (() => void) | undefined): { start(): void; check(): void } {
  const off = { start: () => {}, check: () => {} };
  if (!(headroomMiB > 0) || !gc) return off;
  let limit = Infinity;
  return {
    start() {
      gc();
      limit = process.memoryUsage().heapUsed + headroomMiB * 1024 * 1024;
    },
    check() {
      if (process.memoryUsage().heapUsed > limit) gc();
    },
  };
}

export async function backfill(core: IndexerCore): Promise<void> {
  const { store, settings, logger } = core;
  core.phase = "backfill";
  const cp0 = await store.checkpoint();
  core.phaseStart = cp0?.blockNumber ?? settings.startBlock - 1;
  core.target = await core.retrying(() => core.reader.head());
  if (settings.toBlock !== undefined) core.target = Math.min(core.target, settings.toBlock);
  logger.info(
    { from: cp0 ? cp0.blockNumber + 1 : settings.startBlock, to: core.target, resumed: cp0 !== null },
    "backfill starting",
  );
  const governor = heapGovernor(settings.heapHeadroomMiB, settings.gc);
  governor.start();
  const onCheckpoint = (): void => governor.check();
  // The governor runs between batches: after each checkpoint of this phase.
  core.onBatchCommitted = onCheckpoint;
  try {
    await core.retrying(() => syncTo(core, core.target));
  } finally {
    core.onBatchCommitted = undefined;
  }
  const cp = await store.checkpoint();
  logger.info(
    {
      block: cp?.blockNumber,
      events: core.eventsApplied,
      seconds: (Date.now() - core.startedAt) / 1000,
      ...core.stats,
    },
    "backfill done",
  );
  core.emit("backfilled", cp);
}
