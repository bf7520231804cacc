// Entity parity: after a scripted history over every path, the indexer's entities equal those derived
// independently from the events (ethers' decoding) and agree with the contracts' own state (deal states,
// who agreed, deferred payouts, registry entries, token balances). A follower indexing block by block while the
// history happens and a backfill over the finished chain (PGlite, and PostgreSQL when DATABASE_URL is set)
// store exactly the same versions.

import { expect } from "chai";
import pino from "pino";
import { createIndexer, LogDecoder, type EntityRecord, type Indexer, type SqlStore } from "../../src/indexer";
import { deployAccord, ethers, headBlock, startRpcServer, type Accord, type RpcServer } from "./helpers/chain";
import { cid, expectedEntities, STATES, type Expected } from "./helpers/expected";
import { runScenario, type ScenarioResult } from "./helpers/scenario";
import { pglite, STORE_KINDS } from "./helpers/stores";

const silent = pino({ level: "silent" });

async function all(store: SqlStore, entity: string): Promise<EntityRecord[]> {
  const out: EntityRecord[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await store.find({ entity, first: 1000, skip });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

describe("indexer: entity parity with the contracts", function () {
  this.timeout(300_000);

  let rpc: RpcServer;
  let accord: Accord;
  let scenario: ScenarioResult;
  let follower: Indexer;
  let followerCleanup: () => Promise<void>;
  let store: SqlStore;
  let expected: Expected;
  const batches: { entity: string; id: string; block: number }[][] = [];
  const iterated: { entity: string; id: string; block: number }[][] = [];
  const counted = { events: 0, blocks: 0 };

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord({ blacklistToken: true });
    const opened = await pglite.open();
    store = opened.store;
    followerCleanup = opened.cleanup;
    follower = await createIndexer({
      rpcUrl: rpc.url,
      deployment: accord.file,
      store,
      pollIntervalMs: 10,
      logger: silent,
      metrics: { events: { inc: (n = 1) => (counted.events += n) }, blocks: { inc: (n = 1) => (counted.blocks += n) } },
    });
    follower.on("batch", (changes) => batches.push(changes));
    void (async () => {
      for await (const changes of follower.changes()) iterated.push(changes);
    })();
    await follower.start();
    scenario = await runScenario(accord);
    await follower.waitForBlock(await headBlock());
    expected = await expectedEntities(accord, scenario.receipts);
  });

  after(async () => {
    await follower?.close();
    await followerCleanup?.();
    await rpc?.close();
  });

  it("has one entity per event-derived entity, with the same field values (every entity type)", async () => {
    for (const [entity, records] of expected) {
      const rows = await all(store, entity);
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      expect([...byId.keys()].sort(), `${entity} ids`).to.deep.equal([...records.keys()].sort());
      for (const [id, record] of records) expect(byId.get(id), `${entity} ${id}`).to.deep.equal(record);
    }
    // The history took every path.
    const deals = [...expected.get("Deal")!.values()];
    expect(new Set(deals.map((d) => d.state))).to.deep.equal(
      new Set(STATES.filter((s) => !["DealAgreed", "ResultsChecked"].includes(s))),
    );
    const payments = [...expected.get("Payment")!.values()];
    expect(new Set(payments.map((p) => p.direction))).to.deep.equal(
      new Set(["PaidIn", "PaidOut", "Refunded", "Slashed"]),
    );
    expect(new Set(payments.map((p) => p.reason)).size).to.equal(5);
    expect([...expected.get("Mediation")!.values()].map((m) => m.outcome).sort()).to.deep.equal(
      ["MediationAccepted", "MediationRejected", "TimeoutMediateResults"].sort(),
    );
  });

  it("agrees with the DealMarket's state: states, who agreed, escrow held, deferred payouts", async () => {
    let escrowTotal = 0n;
    for (const d of scenario.deals) {
      const deal = (await store.get("Deal", cid(d.dealId)))!;
      expect(deal, d.path).to.not.equal(null);
      const record = await accord.market.getDeal(d.dealId);
      expect(deal.stateIndex, d.path).to.equal(Number(record.state));
      expect(deal.state, d.path).to.equal(STATES[Number(record.state)]);
      expect(deal.jobCreatorAgreed, d.path).to.equal((Number(record.agreedBy) & 1) !== 0);
      expect(deal.resourceProviderAgreed, d.path).to.equal((Number(record.agreedBy) & 2) !== 0);
      expect(deal.dealId).to.equal(d.dealId.toLowerCase());
      expect(deal.mediators).to.deep.equal(d.terms.members.mediators.map((m) => m.toLowerCase()));
      expect(deal.paymentCollateral).to.equal(d.terms.pricing.paymentCollateral);
      expect(deal.judgeResultsCollateral).to.equal(d.terms.timeouts.judgeResultsCollateral);
      if (!deal.isOpen) expect(deal.escrow, `${d.path}: a closed deal holds nothing`).to.equal(0n);
      escrowTotal += deal.escrow as bigint;
    }
    let deferred = 0n;
    let accountEscrow = 0n;
    for (const a of await all(store, "Account")) {
      const onChain = await accord.market.deferredPayouts(a.id as string);
      expect(a.deferredPayout, `deferred payout of ${a.id}`).to.equal(onChain);
      deferred += onChain;
      accountEscrow += a.escrowBalance as bigint;
    }
    const held = await accord.token.balanceOf(await accord.market.getAddress());
    expect(escrowTotal + deferred, "the market's token balance = open escrow + deferred payouts").to.equal(held);
    expect(accountEscrow).to.equal(escrowTotal);
    // The deferred payout was withdrawn: PayoutDeferred and Withdrawn both happened.
    const names = scenario.receipts.flatMap((r) => r.logs.map((l) => accord.market.interface.parseLog(l)?.name));
    expect(names).to.include.members(["PayoutDeferred", "Withdrawn"]);
  });

  it("agrees with the token: each party's balance moved by totalReceived − totalPaidIn − deferredPayout", async () => {
    const perParty = 10n ** 26n;
    for (const address of scenario.accounts) {
      const acc = await store.get("Account", address);
      if (!acc) continue;
      const balance = await accord.token.balanceOf(address);
      expect(balance - perParty, address).to.equal(
        (acc.totalReceived as bigint) - (acc.totalPaidIn as bigint) - (acc.deferredPayout as bigint),
      );
    }
  });

  it("agrees with the ServiceRegistry's entries", async () => {
    for (const address of scenario.serviceAccounts) {
      const service = (await store.get("Service", address))!;
      const onChain = await accord.registry.getService(address);
      expect(service.rolesBitmap).to.equal(Number(onChain.roles));
      expect(service.registered).to.equal(Number(onChain.roles) !== 0);
      expect(service.metadata).to.equal(onChain.metadata.toLowerCase());
      expect(service.url).to.equal(onChain.url);
    }
    const user = scenario.serviceAccounts[3]!;
    const versions = (await store.versions("Service")).filter((v) => v.record.id === user);
    expect(versions.map((v) => v.record.rolesBitmap)).to.deep.equal([3, 25, 0, 4]);
    expect(new Set(versions.map((v) => v.record.registeredAt)).size, "registeredAt is the first registration").to.equal(
      1,
    );
    expect(versions[2]!.record).to.include({ registered: false, url: "https://two.example/ünïcode" });
  });

  it("keeps history: a deal read as of earlier blocks shows its earlier states", async () => {
    const d = scenario.deals[0]!;
    const changes = await store.find({
      entity: "DealStateChange",
      where: { deal: cid(d.dealId) },
      orderBy: "blockNumber",
    });
    expect(changes.map((c) => c.state)).to.deep.equal([
      "DealNegotiating",
      "DealAgreed",
      "ResultsSubmitted",
      "ResultsAccepted",
    ]);
    for (const change of changes) {
      const asOf = (await store.get("Deal", cid(d.dealId), Number(change.blockNumber)))!;
      expect(asOf.state).to.equal(change.state);
      expect(asOf.updatedAtBlock).to.equal(change.blockNumber);
    }
    expect(await store.get("Deal", cid(d.dealId), Number(changes[0]!.blockNumber) - 1)).to.equal(null);
  });

  it("emitted a change for every entity version it wrote, as events and through changes(); counted events and blocks", async () => {
    const seen = new Set(batches.flat().map((c) => `${c.entity}:${c.id}`));
    for (const [entity, records] of expected)
      for (const id of records.keys()) expect(seen.has(`${entity}:${id}`), `${entity} ${id}`).to.equal(true);
    let versions = 0;
    for (const entity of expected.keys()) versions += (await store.versions(entity)).length;
    expect(batches.flat()).to.have.length(versions);
    expect(iterated).to.deep.equal(batches);
    const logs = scenario.receipts
      .flatMap((r) => r.logs)
      .filter((l) =>
        [accord.deployment.dealMarket.address, accord.deployment.serviceRegistry.address].includes(
          l.address.toLowerCase(),
        ),
      );
    expect(counted.events).to.equal(logs.length);
    expect(counted.blocks).to.equal(
      (await store.checkpoint())!.blockNumber - accord.deployment.dealMarket.blockNumber + 1,
    );
  });

  for (const kind of STORE_KINDS) {
    it(`a backfill of the finished chain (${kind.name}) stores exactly the follower's versions`, async () => {
      const { store: fresh, cleanup } = await kind.open();
      try {
        const progress: number[] = [];
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store: fresh,
          follow: false,
          logger: silent,
          logRange: { initialRange: 7, maxRange: 50 },
          onProgress: (p) => progress.push(p.blocksDone),
        });
        await indexer.start();
        await indexer.done();
        expect(progress.length).to.be.greaterThan(1);
        expect((await fresh.checkpoint())!.blockNumber).to.equal((await store.checkpoint())!.blockNumber);
        expect(await fresh.digest()).to.equal(await store.digest());
        expect(await fresh.counts()).to.deep.equal(await store.counts());
        await indexer.close();
      } finally {
        await cleanup();
      }
    });
  }

  it("decodes with the hand-written decoders exactly what ethers' Interface decodes", async () => {
    const decoder = new LogDecoder({
      dealMarket: accord.deployment.dealMarket.address,
      serviceRegistry: accord.deployment.serviceRegistry.address,
    });
    let n = 0;
    for (const receipt of scenario.receipts) {
      for (const log of receipt.logs) {
        const raw = {
          address: log.address,
          topics: [...log.topics],
          data: log.data,
          blockNumber: ethers.toQuantity(log.blockNumber),
          blockHash: log.blockHash,
          transactionHash: log.transactionHash,
          transactionIndex: ethers.toQuantity(log.transactionIndex),
          logIndex: ethers.toQuantity(log.index),
        };
        const mine = decoder.decode(raw);
        const isMarket = log.address.toLowerCase() === accord.deployment.dealMarket.address;
        const isRegistry = log.address.toLowerCase() === accord.deployment.serviceRegistry.address;
        if (!isMarket && !isRegistry) {
          expect(mine).to.equal(null);
          continue;
        }
        const theirs = (isMarket ? accord.market.interface : accord.registry.interface).parseLog(log)!;
        expect(mine!.name).to.equal(theirs.name);
        const args = theirs.args.toObject(true) as Record<string, unknown>;
        const norm = (v: unknown): unknown =>
          typeof v === "string"
            ? /^0x[0-9a-fA-F]*$/.test(v)
              ? v.toLowerCase()
              : v
            : Array.isArray(v)
              ? v.map(norm)
              : v && typeof v === "object"
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
                : v;
        const m = mine as unknown as Record<string, unknown>;
        if (theirs.name === "DealCreated") {
          const t = m.terms as Record<string, unknown>;
          expect(norm(args.mediators)).to.deep.equal(t.mediators);
          expect(norm(args.solver)).to.equal(t.solver);
          const p = args.pricing as Record<string, bigint>;
          const to = args.timeouts as Record<string, bigint>;
          expect([t.instructionPrice, t.paymentCollateral, t.resultsCollateralMultiple, t.mediationFee]).to.deep.equal([
            p.instructionPrice,
            p.paymentCollateral,
            p.resultsCollateralMultiple,
            p.mediationFee,
          ]);
          expect([
            t.agreeTimeout,
            t.submitResultsTimeout,
            t.judgeResultsTimeout,
            t.mediateResultsTimeout,
            t.agreeCollateral,
            t.submitResultsCollateral,
            t.judgeResultsCollateral,
            t.mediateResultsCollateral,
          ]).to.deep.equal([
            to.agree,
            to.submitResults,
            to.judgeResults,
            to.mediateResults,
            to.agreeCollateral,
            to.submitResultsCollateral,
            to.judgeResultsCollateral,
            to.mediateResultsCollateral,
          ]);
        } else {
          for (const [key, value] of Object.entries(args)) {
            const v =
              typeof value === "bigint" &&
              ["state", "reason", "direction", "role", "mediatorIndex", "roles"].includes(key)
                ? Number(value)
                : norm(value);
            expect(m[key], `${theirs.name}.${key}`).to.deep.equal(v);
          }
        }
        n++;
      }
    }
    expect(n).to.be.greaterThan(50);
  });
});
