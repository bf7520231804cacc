// Reorgs: evm_snapshot, blocks with deals (indexed by a follower), evm_revert, different blocks. The follower's
// store must then equal a fresh index of the final chain: every version with its block range, not just what is
// visible at the head.

import { expect } from "chai";
import pino from "pino";
import { createIndexer, ReorgTooDeepError, type Indexer, type ReorgInfo, type SqlStore } from "../../src/indexer";
import {
  deployAccord,
  headBlock,
  hre,
  makeTerms,
  mine,
  newDealId,
  startRpcServer,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { dealKey } from "../../src/model/deal-key";
import { pglite, STORE_KINDS } from "./helpers/stores";

const silent = pino({ level: "silent" });

async function snapshot(): Promise<string> {
  return (await hre.network.provider.send("evm_snapshot", [])) as string;
}
async function revert(id: string): Promise<void> {
  expect(await hre.network.provider.send("evm_revert", [id])).to.equal(true);
}

/** The terms these tests agree to: signers 1 and 2 as the parties, 3 as the solver, 4 as the one mediator. */
async function testTerms(accord: Accord, seed: bigint) {
  const [, jc, rp, solver, m1] = accord.signers;
  return makeTerms(
    await jc.getAddress(),
    await rp.getAddress(),
    await solver.getAddress(),
    [await m1.getAddress()],
    seed,
  );
}

/** A deal agreed in one step by its job creator (two-step path, first call): one block. */
async function openDeal(accord: Accord, seed: bigint): Promise<string> {
  const dealId = newDealId();
  const terms = await testTerms(accord, seed);
  await (await accord.market.connect(accord.signers[1]).agree(dealId, terms)).wait();
  return dealId;
}

/** The key of a deal of the job creator and provider these tests use (signers 1 and 2). */
async function keyOf(accord: Accord, dealId: string): Promise<string> {
  const [, jc, rp] = accord.signers;
  return dealKey(dealId, await jc.getAddress(), await rp.getAddress());
}

async function agreeSecond(accord: Accord, dealId: string, seed: bigint): Promise<void> {
  const terms = await testTerms(accord, seed);
  await (await accord.market.connect(accord.signers[2]).agree(dealId, terms)).wait();
}

async function freshDigest(rpc: RpcServer, accord: Accord, kind = pglite): Promise<{ full: string; head: string }> {
  const { store, cleanup } = await kind.open();
  try {
    const indexer = await createIndexer({
      rpcUrl: rpc.url,
      deployment: accord.deployment,
      store,
      follow: false,
      logger: silent,
    });
    await indexer.start();
    await indexer.done();
    return { full: await store.digest(), head: await store.digest({ atHead: true }) };
  } finally {
    await cleanup();
  }
}

describe("indexer: reorgs", function () {
  this.timeout(300_000);
  let rpc: RpcServer;
  let accord: Accord;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord();
  });
  after(async () => rpc?.close());

  for (const kind of STORE_KINDS) {
    it(`rolls back orphaned blocks and re-applies the new branch (${kind.name}, newHeads over ws)`, async () => {
      const { store, cleanup } = await kind.open();
      let follower: Indexer | undefined;
      try {
        follower = await createIndexer({
          rpcUrl: rpc.url,
          wsUrl: rpc.wsUrl,
          deployment: accord.deployment,
          store,
          pollIntervalMs: 20,
          logger: silent,
        });
        const reorgs: ReorgInfo[] = [];
        follower.on("reorg", (info: ReorgInfo) => reorgs.push(info));
        await follower.start();

        const kept = await openDeal(accord, 1n);
        await follower.waitForBlock(await headBlock());
        for (let i = 0; i < 50 && !follower.newHeadsConnected; i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(follower.newHeadsConnected, "subscribed to newHeads over ws").to.equal(true);
        const base = await headBlock();

        // Branch A: four blocks; the kept deal is agreed (an update of a pre-fork entity), two new deals.
        const snap = await snapshot();
        await agreeSecond(accord, kept, 1n);
        const orphanA = await openDeal(accord, 2n);
        const orphanB = await openDeal(accord, 3n);
        await mine(1);
        await follower.waitForBlock(await headBlock());
        expect((await store.get("Deal", await keyOf(accord, kept)))!.state).to.equal("DealAgreed");
        expect(await store.get("Deal", await keyOf(accord, orphanA))).to.not.equal(null);
        const branchAHead = await headBlock();

        // Branch B: first shorter than A (the head goes back), then longer.
        await revert(snap);
        expect(await headBlock()).to.equal(base);
        const replacement = await openDeal(accord, 4n);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await mine(3);
        await agreeSecond(accord, replacement, 4n);
        expect(await headBlock()).to.be.greaterThan(branchAHead);
        await follower.waitForBlock(await headBlock());
        await new Promise((resolve) => setTimeout(resolve, 100));
        await follower.waitForBlock(await headBlock());

        expect(reorgs.length).to.be.greaterThan(0);
        expect(reorgs.every((r) => r.to >= base && !r.reset)).to.equal(true);
        expect(await store.get("Deal", await keyOf(accord, orphanA))).to.equal(null);
        expect(await store.get("Deal", await keyOf(accord, orphanB))).to.equal(null);
        expect((await store.get("Deal", await keyOf(accord, kept)))!.state).to.equal("DealNegotiating");
        expect((await store.get("Deal", await keyOf(accord, replacement)))!.state).to.equal("DealAgreed");

        const fresh = await freshDigest(rpc, accord, kind);
        expect(await store.digest({ atHead: true })).to.equal(fresh.head);
        expect(await store.digest()).to.equal(fresh.full);
        const hashes = await store.blockHashes(base);
        const cp = (await store.checkpoint())!;
        expect(hashes.get(cp.blockNumber)).to.equal(cp.blockHash);
      } finally {
        await follower?.close();
        await cleanup();
      }
    });
  }

  it("a mediator drawn on an orphaned block is drawn again from the hash of the new branch's block", async () => {
    const { store, cleanup } = await pglite.open();
    let follower: Indexer | undefined;
    try {
      follower = await createIndexer({
        rpcUrl: rpc.url,
        deployment: accord.deployment,
        store,
        pollIntervalMs: 20,
        logger: silent,
      });
      await follower.start();
      const [, jc, rp, solver, m1, m2, m3] = accord.signers;
      const mediators = await Promise.all([m1, m2, m3].map((s) => s.getAddress()));
      const terms = makeTerms(await jc.getAddress(), await rp.getAddress(), await solver.getAddress(), mediators, 30n);
      const dealId = newDealId();
      const key = await keyOf(accord, dealId);
      await (await accord.market.connect(jc).agree(dealId, terms)).wait();
      await (await accord.market.connect(rp).agree(dealId, terms)).wait();
      await (await accord.market.connect(rp).addResult(dealId, terms, dealId, 4n)).wait();
      const check = async (): Promise<string> => {
        const receipt = (await (await accord.market.connect(jc).checkResult(dealId, terms, 4n)).wait())!;
        await mine(1); // the draw needs its block's hash
        await follower!.waitForBlock(await headBlock());
        const mediation = (await store.get("Mediation", key))!;
        const [drawn] = await accord.market.drawnMediator(dealId, terms, 4n);
        expect(mediation.drawBlockHash).to.equal(receipt.blockHash.toLowerCase());
        expect(mediation.mediator).to.equal(drawn.toLowerCase());
        expect((await store.get("Deal", key))!.mediator).to.equal(drawn.toLowerCase());
        return receipt.blockHash;
      };
      await follower.waitForBlock(await headBlock());
      const snap = await snapshot();
      const orphaned = await check();
      await revert(snap);
      await mine(1); // checkResult lands in a block of another height, so of another hash
      expect(await check()).to.not.equal(orphaned);
      expect((await store.get("Mediation", key))!.drawCount).to.equal(1);
      await follower.stop();
      expect(await store.digest()).to.equal((await freshDigest(rpc, accord)).full);
    } finally {
      await follower?.close();
      await cleanup();
    }
  });

  it("a reorg while stopped is found on restart (the checkpoint's block changed)", async () => {
    const { store, cleanup } = await pglite.open();
    try {
      const options = { rpcUrl: rpc.url, deployment: accord.deployment, store, pollIntervalMs: 20, logger: silent };
      let indexer = await createIndexer(options);
      await indexer.start();
      const snap = await snapshot();
      await openDeal(accord, 5n);
      await openDeal(accord, 6n);
      await indexer.waitForBlock(await headBlock());
      await indexer.stop();
      await revert(snap);
      await mine(2);
      await openDeal(accord, 7n);
      indexer = await createIndexer(options);
      await indexer.start();
      await indexer.waitForBlock(await headBlock());
      await indexer.stop();
      expect(await store.digest()).to.equal((await freshDigest(rpc, accord)).full);
    } finally {
      await cleanup();
    }
  });

  it("a reorg deeper than reorgDepth fails with onDeepReorg: error, and re-indexes with reset", async () => {
    for (const mode of ["error", "reset"] as const) {
      const { store, cleanup } = await pglite.open();
      let indexer: Indexer | undefined;
      try {
        indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store,
          pollIntervalMs: 20,
          reorgDepth: 2,
          onDeepReorg: mode,
          logger: silent,
        });
        await indexer.start();
        const snap = await snapshot();
        for (let i = 0; i < 5; i++) await openDeal(accord, 10n + BigInt(i));
        await indexer.waitForBlock(await headBlock());
        await revert(snap);
        await mine(6);
        await openDeal(accord, 20n);
        if (mode === "error") {
          let failure: unknown;
          await indexer.done().catch((e: unknown) => (failure = e));
          expect(failure).to.be.instanceOf(ReorgTooDeepError);
        } else {
          await indexer.waitForBlock(await headBlock());
          await indexer.stop();
          expect(await store.digest()).to.equal((await freshDigest(rpc, accord)).full);
        }
      } finally {
        await indexer?.close();
        await cleanup();
      }
    }
  });
});

export type { SqlStore };
