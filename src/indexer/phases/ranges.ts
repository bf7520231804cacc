// The pipeline both phases run: read a block range (logs, then the headers they need), run the subgraph's mappings
// on it and commit it as one store batch with its checkpoint. While one range is written the next is read, so the
// node and the store work in parallel.
//
// A batch holds the mappings' writes, the block hashes and the checkpoint of the range's last block in one
// transaction: a crash loses nothing and applies nothing twice (the next start resumes after the checkpoint). Every
// range's first block must name the checkpoint as its parent; if it does not, the chain reorganised (reorg.ts).

import type { Checkpoint } from "../store/types";
import type { BlockHeader, BlockTransaction } from "../sync/chain";
import type { EntityChange } from "../store/writer";
import type { RawLog } from "../sync/types";
import { DeterministicIndexingError, type TriggerLog } from "../subgraph/runner";
import { ChainMovedError, INDEXING_ERROR_META, type IndexerCore, type StoredIndexingError } from "./core";
import { handleReorg } from "./reorg";

export interface FetchedRange {
  from: number;
  to: number;
  logs: TriggerLog[];
  headers: Map<number, BlockHeader>;
}

const quantity = (hex: string | undefined): number => (hex === undefined ? 0 : Number(hex));

function triggerLog(raw: RawLog): TriggerLog {
  return {
    address: raw.address.toLowerCase(),
    topics: raw.topics,
    data: raw.data,
    blockNumber: quantity(raw.blockNumber),
    blockHash: raw.blockHash,
    transactionHash: raw.transactionHash,
    transactionIndex: quantity(raw.transactionIndex),
    logIndex: quantity(raw.logIndex),
  };
}

/** Ranges read ahead of the one being mapped: the reads' round trips then overlap the mappings and the commits. */
const READ_AHEAD = 2;

/**
 * Indexes up to `target`: fetch a range, check it continues the checkpoint, run its mappings, commit it; repeat.
 * Three stages overlap: the next ranges are read (READ_AHEAD), and one range commits (on PGlite's own thread when
 * it has one, see pglite-thread.ts) while the mappings of the next one run (SqlStore.stageBatch). A failed commit
 * fails the loop before anything after it commits.
 */
export async function syncTo(core: IndexerCore, target: number): Promise<void> {
  const ahead: Promise<FetchedRange | undefined>[] = [];
  const dropAhead = (): void => {
    for (const read of ahead.splice(0)) read.catch(() => {});
  };
  /** Starts reading the ranges after `range`, up to READ_AHEAD of them (each starts where the one before ends). */
  const readAhead = (range: FetchedRange): void => {
    while (ahead.length < READ_AHEAD && !core.stopping) {
      const last: Promise<FetchedRange | undefined> | undefined = ahead[ahead.length - 1];
      const read =
        last !== undefined
          ? last.then((r) => (r && r.to < target && !core.stopping ? fetchRange(core, r.to + 1, target) : undefined))
          : range.to < target
            ? fetchRange(core, range.to + 1, target)
            : Promise.resolve(undefined);
      read.catch(() => {});
      ahead.push(read);
    }
  };
  // The commit of the range before the one being mapped: at most one is in flight.
  let committing: Promise<void> | undefined;
  const committed = async (): Promise<void> => {
    const pending = committing;
    committing = undefined;
    if (pending) await pending;
  };
  let cp = await core.store.checkpoint();
  try {
    while (!core.stopping) {
      const from = cp ? cp.blockNumber + 1 : core.settings.startBlock;
      if (from > target) break;
      const waitStart = Date.now();
      let range = await ahead.shift();
      if (range && range.from !== from) {
        dropAhead();
        range = undefined;
      }
      range ??= await fetchRange(core, from, target);
      core.stats.waitMs += Date.now() - waitStart;
      const first = range.headers.get(from)!;
      if (cp && first.parentHash !== cp.blockHash) {
        dropAhead();
        await committed();
        await handleReorg(core);
        cp = await core.store.checkpoint();
        continue;
      }
      readAhead(range);
      // Let the reads send their requests before the mappings hold the thread.
      await new Promise((resolve) => setImmediate(resolve));
      let staged: { committed: Promise<void> };
      try {
        staged = await stage(core, range);
      } catch (error) {
        await committed();
        if (error instanceof DeterministicIndexingError) await halt(core, range, error);
        throw error;
      }
      await committed();
      committing = staged.committed;
      cp = checkpointOf(range);
    }
    await committed();
  } finally {
    dropAhead();
    await committing?.catch(() => {});
  }
}

async function fetchRange(core: IndexerCore, from: number, target: number): Promise<FetchedRange> {
  const started = Date.now();
  try {
    return await readRange(core, from, target);
  } finally {
    core.stats.fetchMs += Date.now() - started;
  }
}

async function readRange(core: IndexerCore, from: number, target: number): Promise<FetchedRange> {
  const { to, logs: raw } = await core.reader.logs(from, target);
  const logs = raw.filter((log) => !log.removed).map(triggerLog);
  const numbers = new Set<number>([from, to]);
  const withEvents = new Set<number>();
  for (const log of logs) withEvents.add(log.blockNumber);
  for (const n of withEvents) numbers.add(n);
  // Near the head every block is kept (the reorg walk-back needs them); far behind, only what the mappings need.
  const dense = Math.max(from, target - core.settings.reorgDepth + 1);
  for (let n = dense; n <= to; n++) numbers.add(n);
  const fetched = await core.reader.headers([...numbers], core.settings.transactions ? withEvents : undefined);
  const headers = new Map<number, BlockHeader>();
  for (const [n, h] of fetched) {
    if (!h) throw new ChainMovedError(`block ${n} is gone`);
    headers.set(n, h);
  }
  for (const log of logs) {
    const h = headers.get(log.blockNumber);
    if (h && h.hash !== log.blockHash) throw new ChainMovedError(`block ${log.blockNumber} changed while reading`);
  }
  for (let n = dense + 1; n <= to; n++) {
    if (headers.get(n)!.parentHash !== headers.get(n - 1)!.hash) {
      throw new ChainMovedError(`block ${n} changed while reading`);
    }
  }
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  return { from, to, logs, headers };
}

/** The range's fetched transactions by hash (none unless settings.transactions). */
function transactionsOf(range: FetchedRange): Map<string, BlockTransaction> | undefined {
  let out: Map<string, BlockTransaction> | undefined;
  for (const header of range.headers.values()) {
    for (const tx of header.transactions ?? []) (out ??= new Map()).set(tx.hash, tx);
  }
  return out;
}

function checkpointOf(range: FetchedRange): Checkpoint {
  const last = range.headers.get(range.to)!;
  return { blockNumber: range.to, blockHash: last.hash, timestamp: last.timestamp };
}

/** Runs the range's mappings into a staged batch (SqlStore.stageBatch); `committed` settles with its commit. */
async function stage(core: IndexerCore, range: FetchedRange): Promise<{ committed: Promise<void> }> {
  const checkpoint = checkpointOf(range);
  const started = Date.now();
  let triggers = 0;
  const staged = await core.store.stageBatch(checkpoint, async (w) => {
    w.recordBlocks([...range.headers.values()].map((h) => ({ number: h.number, hash: h.hash, parent: h.parentHash })));
    triggers = await core.runner.run(w, range.logs, range.headers, transactionsOf(range));
  });
  const sealed = Date.now();
  core.stats.handleMs += sealed - started;
  core.stats.mappingMs = Math.round(core.runner.stats.mappingMs);
  core.stats.decodeMs = Math.round(core.runner.stats.decodeMs);
  core.stats.reruns = core.runner.stats.reruns;
  const committed = staged.committed.then((changes) => {
    core.stats.commitMs += Date.now() - sealed;
    return afterCommit(core, range, checkpoint, triggers, changes);
  });
  committed.catch(() => {});
  return { committed };
}

/** Runs the range's mappings and commits it (no pipeline: halt's partial range). */
async function apply(core: IndexerCore, range: FetchedRange): Promise<void> {
  const checkpoint = checkpointOf(range);
  let triggers = 0;
  const changes = await core.store.batchWithChanges(checkpoint, async (w) => {
    w.recordBlocks([...range.headers.values()].map((h) => ({ number: h.number, hash: h.hash, parent: h.parentHash })));
    triggers = await core.runner.run(w, range.logs, range.headers, transactionsOf(range));
  });
  await afterCommit(core, range, checkpoint, triggers, changes);
}

/** What follows a range's commit: statistics, the indexing error's reset, the events. */
async function afterCommit(
  core: IndexerCore,
  range: FetchedRange,
  checkpoint: Checkpoint,
  triggers: number,
  changes: EntityChange[],
): Promise<void> {
  core.stats.batches++;
  core.onBatchCommitted?.();
  core.eventsApplied += triggers;
  core.settings.metrics?.events?.inc(triggers);
  core.settings.metrics?.blocks?.inc(range.to - range.from + 1);
  core.logger.debug({ from: range.from, to: range.to, events: triggers, changes: changes.length }, "batch committed");
  if (core.indexingError && range.to >= core.indexingError.block) {
    core.logger.info({ block: core.indexingError.block }, "indexed past the block of the last indexing error");
    core.indexingError = null;
    await core.store.setMeta(INDEXING_ERROR_META, "");
  }
  core.emit("checkpoint", checkpoint);
  if (changes.length > 0) core.emit("batch", changes, checkpoint);
  core.reportProgress(checkpoint.blockNumber);
}

/**
 * A mapping failed deterministically: commit the blocks of the range before the failing one, record the error
 * (`_meta.hasIndexingErrors`) and stop there. A restart (after a fix) retries from that block.
 */
async function halt(core: IndexerCore, range: FetchedRange, error: DeterministicIndexingError): Promise<void> {
  if (error.block > range.from) {
    const to = error.block - 1;
    const headers = new Map([...range.headers].filter(([n]) => n <= to));
    if (!headers.has(to)) {
      const header = (await core.reader.headers([to])).get(to);
      if (!header) throw new ChainMovedError(`block ${to} is gone`);
      headers.set(to, header);
    }
    await apply(core, { from: range.from, to, logs: range.logs.filter((l) => l.blockNumber <= to), headers });
  }
  const record: StoredIndexingError = {
    message: error.message,
    dataSource: error.dataSource,
    handler: error.handler,
    block: error.block,
    transaction: error.transaction,
    logIndex: error.logIndex,
  };
  await core.store.setMeta(INDEXING_ERROR_META, JSON.stringify(record));
  core.indexingError = record;
  core.logger.error(
    { handler: `${error.dataSource}.${error.handler}`, block: error.block, tx: error.transaction, err: error.cause },
    `deterministic indexing error: ${error.message}; indexing stopped at block ${error.block}`,
  );
  core.emit("indexingError", record);
}
