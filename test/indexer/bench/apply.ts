// Micro-benchmark of the apply path alone (handlers + store), no node: synthetic decoded events of full deal
// lifecycles (17 events per deal), applied in batches as the indexer does.
//
//   node -r ts-node/register/transpile-only test/indexer/bench/apply.ts [events] [eventsPerBatch] [pglite|postgres]

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { handle, prefetch, type HandlerContext } from "../../../src/indexer/handlers";
import { openStore } from "../../../src/indexer/store/open";
import type { DecodedLog, DealTerms } from "../../../src/indexer/sync/events";

const EVENTS = Number(process.argv[2] ?? 100_000);
const PER_BATCH = Number(process.argv[3] ?? 5_000);
const KIND = process.argv[4] ?? "pglite";
const EVENTS_PER_BLOCK = 10;

const hex = (n: number, bytes: number) => "0x" + n.toString(16).padStart(bytes * 2, "0");
const party = (i: number) => hex(0x1000 + i, 20);

function lifecycle(i: number, block: (step: number) => number): DecodedLog[] {
  const dealId = hex(i + 1, 32);
  const jc = party(i % 8);
  const rp = party(8 + (i % 8));
  const terms: DealTerms = {
    jobCreator: jc,
    resourceProvider: rp,
    solver: party(99),
    mediators: [party(98)],
    instructionPrice: 3n,
    paymentCollateral: 1000n,
    resultsCollateralMultiple: 2n,
    mediationFee: 10n,
    agreeTimeout: 3600n,
    submitResultsTimeout: 3600n,
    judgeResultsTimeout: 3600n,
    mediateResultsTimeout: 3600n,
    agreeCollateral: 0n,
    submitResultsCollateral: 100n,
    judgeResultsCollateral: 200n,
    mediateResultsCollateral: 0n,
  };
  let logIndex = 0;
  const meta = (step: number) => ({
    address: party(200),
    blockNumber: block(step),
    blockHash: hex(block(step), 32),
    transactionHash: hex(i * 4 + step, 32),
    logIndex: logIndex++,
  });
  const pay = (step: number, payee: string, amount: bigint, reason: number, direction: number): DecodedLog => ({
    name: "Payment",
    dealId,
    payee,
    amount,
    reason,
    direction,
    log: meta(step),
  });
  return [
    { name: "DealCreated", dealId, jobCreator: jc, resourceProvider: rp, terms, log: meta(0) },
    { name: "DealStateChange", dealId, state: 0, log: meta(0) },
    { name: "PartyAgreed", dealId, party: jc, log: meta(0) },
    pay(0, jc, 1000n, 0, 0),
    pay(0, jc, 200n, 2, 0),
    { name: "DealStateChange", dealId, state: 1, log: meta(1) },
    { name: "PartyAgreed", dealId, party: rp, log: meta(1) },
    pay(1, rp, 100n, 2, 0),
    { name: "ResultAdded", dealId, resultsId: dealId, instructionCount: 10n, log: meta(2) },
    { name: "DealStateChange", dealId, state: 2, log: meta(2) },
    pay(2, rp, 60n, 1, 0),
    pay(2, rp, 100n, 2, 2),
    { name: "DealStateChange", dealId, state: 3, log: meta(3) },
    pay(3, rp, 30n, 3, 1),
    pay(3, rp, 60n, 1, 2),
    pay(3, jc, 970n, 0, 2),
    pay(3, jc, 200n, 2, 2),
  ];
}

async function main(): Promise<void> {
  const deals = Math.ceil(EVENTS / 17);
  const blocks = Math.ceil(EVENTS / EVENTS_PER_BLOCK);
  const events = Array.from({ length: deals }, (_, i) => {
    const start = Math.floor((i * (blocks - 4)) / deals) + 1;
    return lifecycle(i, (step) => start + step);
  })
    .flat()
    .sort((a, b) => a.log.blockNumber - b.log.blockNumber || a.log.transactionHash.localeCompare(b.log.transactionHash) || a.log.logIndex - b.log.logIndex);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-apply-"));
  const store = await openStore(
    KIND === "postgres" ? { databaseUrl: process.env.DATABASE_URL, schema: `accord_apply_${process.pid}` } : { dataDir: path.join(dir, "db") },
  );
  const started = Date.now();
  let handleMs = 0;
  let commitMs = 0;
  let rows = 0;
  for (let i = 0; i < events.length; ) {
    // a batch ends at a block boundary
    let j = Math.min(events.length, i + PER_BATCH);
    while (j < events.length && events[j]!.log.blockNumber === events[j - 1]!.log.blockNumber) j++;
    const batch = events.slice(i, j);
    const last = batch[batch.length - 1]!.log.blockNumber;
    const t0 = Date.now();
    let t1 = t0;
    const changes = await store.batchWithChanges({ blockNumber: last, blockHash: hex(last, 32), timestamp: last }, async (w) => {
      await prefetch(w, batch);
      for (const e of batch) {
        const ctx: HandlerContext = { w, log: e.log, timestamp: BigInt(e.log.blockNumber), blockNumber: BigInt(e.log.blockNumber), warn: () => {} };
        await handle(ctx, e);
      }
      t1 = Date.now();
    });
    rows += changes.length;
    handleMs += t1 - t0;
    commitMs += Date.now() - t1;
    i = j;
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    JSON.stringify({
      events: events.length,
      versions: rows,
      seconds,
      eventsPerSecond: Math.round(events.length / seconds),
      handleMs,
      commitMs,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  if (KIND === "postgres") await store.dropSchema();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

// `hardhat test` loads every file under test/: run only when executed directly.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
