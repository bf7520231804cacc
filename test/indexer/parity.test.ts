// Entity parity: after a scripted history over every path, the indexer's entities equal those derived
// independently from the events (ethers' decoding) and agree with the contracts' own state (deal states,
// who agreed, deferred payouts, registry entries, token balances). A follower indexing block by block while the
// history happens and a backfill over the finished chain (PGlite, and PostgreSQL when DATABASE_URL is set)
// store exactly the same versions. A deal ID squatted by a third party yields two records that the API serves
// apart, by key and both under their CID.

import { expect } from "chai";
import pino from "pino";
import { createIndexer, type EntityRecord, type Indexer, type SqlStore } from "../../src/indexer";
import type { EntityChange } from "../../src/indexer/store/writer";
import { dealKey } from "../../src/model/deal-key";
import { createServer, type AccordServer } from "../../src/server/server";
import { deployAccord, headBlock, startRpcServer, type Accord, type RpcServer } from "./helpers/chain";
import { cid, expectedEntities, STATES, type Expected } from "./helpers/expected";
import { runScenario, type ScenarioResult } from "./helpers/scenario";
import { pglite, STORE_KINDS } from "./helpers/stores";
import { graphqlData } from "./helpers/graphql";

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
  const batches: EntityChange[][] = [];
  const iterated: EntityChange[][] = [];
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
    follower.on("batch", (changes: EntityChange[]) => batches.push(changes));
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
    expect(new Set(deals.map((d) => d.state))).to.deep.equal(new Set(STATES.filter((s) => s !== "DealAgreed")));
    const payments = [...expected.get("Payment")!.values()];
    expect(new Set(payments.map((p) => p.direction))).to.deep.equal(
      new Set(["PaidIn", "PaidOut", "Refunded", "Slashed"]),
    );
    expect(new Set(payments.map((p) => p.reason)).size).to.equal(5);
    const mediations = [...expected.get("Mediation")!.values()];
    expect(mediations.map((m) => String(m.outcome)).sort()).to.deep.equal(
      ["MediationAccepted", "MediationRejected", "TimeoutMediateResults", "null"].sort(),
    );
    expect(mediations.map((m) => [m.drawCount, m.drawFixed]).sort()).to.deep.equal([
      [1, false],
      [1, false],
      [1, true],
      [2, true],
    ]);
    // Two records share the squatted deal ID.
    const squatCid = cid(scenario.squat.dealId);
    expect(deals.filter((d) => d.cid === squatCid).map((d) => d.id)).to.have.members([
      scenario.squat.squatter.key,
      scenario.squat.real.key,
    ]);
  });

  it("agrees with the DealMarket's state: states, who agreed, escrow held, deferred payouts", async () => {
    let escrowTotal = 0n;
    for (const d of scenario.deals) {
      const deal = (await store.get("Deal", d.key))!;
      expect(deal, d.path).to.not.equal(null);
      const { jobCreator, resourceProvider } = d.terms.members;
      expect(deal.id, `${d.path}: id is the market's key`).to.equal(d.key);
      expect(dealKey(d.dealId, jobCreator, resourceProvider), d.path).to.equal(d.key);
      expect(deal.cid, d.path).to.equal(cid(d.dealId));
      expect([deal.jobCreator, deal.resourceProvider], d.path).to.deep.equal([
        jobCreator.toLowerCase(),
        resourceProvider.toLowerCase(),
      ]);
      const record = await accord.market.getDeal(d.key);
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
      const account = a.id as string;
      const onChain = await accord.market.deferredPayouts(account);
      expect(a.deferredPayout, `deferred payout of ${account}`).to.equal(onChain);
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

  it("shows the mediator the market draws: for deals under mediation its drawnMediator, else who was paid", async () => {
    expect(scenario.underMediation).to.have.length.greaterThan(0);
    for (const { deal: d, instructionCount } of scenario.underMediation) {
      const [onChain, index] = await accord.market.drawnMediator(d.dealId, d.terms, instructionCount);
      const draw = await accord.market.getMediationDraw(d.key);
      const deal = (await store.get("Deal", d.key))!;
      const mediation = (await store.get("Mediation", d.key))!;
      expect(deal.state, d.path).to.equal("ResultsChecked");
      expect(deal.mediator, d.path).to.equal(onChain.toLowerCase());
      expect(mediation, d.path).to.include({
        mediator: onChain.toLowerCase(),
        mediatorIndex: Number(index),
        drawFixed: draw.drawn,
        drawCount: 2,
      });
      expect(mediation.drawBlock, d.path).to.equal(draw.drawBlock);
    }
    // Decided mediations: only the drawn mediator can decide, and it is paid the fee.
    for (const mediation of await all(store, "Mediation")) {
      if (mediation.outcome !== "MediationAccepted" && mediation.outcome !== "MediationRejected") continue;
      const fees = (await store.find({ entity: "Payment", where: { deal: mediation.deal as string } })).filter(
        (p) => p.reason === "MediationFee" && p.direction === "PaidOut",
      );
      expect(fees.map((p) => p.payee)).to.deep.equal([mediation.mediator]);
      expect((await store.get("Deal", mediation.deal as string))!.mediator).to.equal(mediation.mediator);
    }
  });

  it("serves both records of a squatted deal ID over GraphQL, by key and under their CID, never mixed", async () => {
    const server: AccordServer = await createServer({ store, port: 0, logger: silent });
    try {
      const gql = (query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, query, variables);
      const fields = `id cid dealId state jobCreator { id } resourceProvider { id } escrow mediator
        stateChanges(orderBy: id) { id state }
        payments(orderBy: id) { id amount payee reason direction account { id } }
        mediation { mediator mediatorIndex drawCount drawFixed }`;
      const { squat } = scenario;
      const squatCid = cid(squat.dealId);
      const byCid = (await gql(
        `query($cid: String!) { deals(where: { cid: $cid }, orderBy: createdAtBlock) { ${fields} } }`,
        {
          cid: squatCid,
        },
      )) as { deals: Record<string, unknown>[] };
      expect(byCid.deals.map((d) => d.id)).to.deep.equal([squat.squatter.key, squat.real.key]);

      const [onChainMediator] = await accord.market.drawnMediator(squat.dealId, squat.real.terms, 6n);
      for (const d of [squat.squatter, squat.real]) {
        const { deal } = (await gql(`query($id: ID!) { deal(id: $id) { ${fields} } }`, { id: d.key })) as {
          deal: Record<string, unknown>;
        };
        expect(
          byCid.deals.find((x) => x.id === d.key),
          d.path,
        ).to.deep.equal(deal);
        // What the independently derived entities say about this record, and nothing of the other's.
        const own = (entity: string) =>
          [...expected.get(entity)!.values()].filter((e) => e.deal === d.key).sort((a, b) => (a.id! < b.id! ? -1 : 1));
        const want = expected.get("Deal")!.get(d.key)!;
        expect(deal, d.path).to.deep.include({
          id: d.key,
          cid: squatCid,
          dealId: squat.dealId.toLowerCase(),
          state: want.state,
          jobCreator: { id: d.terms.members.jobCreator.toLowerCase() },
          resourceProvider: { id: d.terms.members.resourceProvider.toLowerCase() },
          escrow: String(want.escrow),
        });
        expect(deal.stateChanges, d.path).to.deep.equal(
          own("DealStateChange").map((c) => ({ id: c.id, state: c.state })),
        );
        const payments = deal.payments as { id: string; payee: string; account: { id: string } }[];
        expect(
          payments.map((p) => p.id),
          d.path,
        ).to.deep.equal(own("Payment").map((p) => p.id));
        const parties = [d.terms.members.jobCreator.toLowerCase(), d.terms.members.resourceProvider.toLowerCase()];
        for (const p of payments) expect(parties, `${d.path}: payment ${p.id}`).to.include(p.account.id);
      }
      const [squatter, real] = byCid.deals;
      expect(squatter.state).to.equal("TimeoutAgree");
      expect(squatter.mediation).to.equal(null);
      expect(squatter.mediator).to.equal(null);
      expect(real.state).to.equal("ResultsChecked");
      expect(real.mediator).to.equal(onChainMediator.toLowerCase());
      expect(real.mediation).to.deep.include({
        mediator: onChainMediator.toLowerCase(),
        drawCount: 2,
        drawFixed: true,
      });
      // No payment or state change is listed under both.
      for (const k of ["payments", "stateChanges"]) {
        const ids = (d: Record<string, unknown>) => (d[k] as { id: string }[]).map((x) => x.id);
        expect(
          ids(squatter).filter((id) => ids(real).includes(id)),
          k,
        ).to.deep.equal([]);
      }
      // Ids are the keys, as hex of any case; a CID is not an id.
      const { deal: upper } = (await gql(`query($id: ID!) { deal(id: $id) { id } }`, {
        id: squat.real.key.toUpperCase().replace("0X", "0x"),
      })) as { deal: { id: string } | null };
      expect(upper).to.deep.equal({ id: squat.real.key });
      const byCidAsId = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `{ deal(id: "${squatCid}") { id } }` }),
      });
      const rejected = (await byCidAsId.json()) as { errors?: { message: string }[] };
      expect(rejected.errors?.[0]?.message).to.match(/not a Bytes id/);
    } finally {
      await server.close();
    }
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
    const user = scenario.serviceAccounts[3];
    const versions = (await store.versions("Service")).filter((v) => v.record.id === user);
    expect(versions.map((v) => v.record.rolesBitmap)).to.deep.equal([3, 25, 0, 4]);
    expect(new Set(versions.map((v) => v.record.registeredAt)).size, "registeredAt is the first registration").to.equal(
      1,
    );
    expect(versions[2].record).to.include({ registered: false, url: "https://two.example/ünïcode" });
  });

  it("keeps history: a deal read as of earlier blocks shows its earlier states", async () => {
    const d = scenario.deals[0];
    const changes = await store.find({
      entity: "DealStateChange",
      where: { deal: d.key },
      orderBy: "blockNumber",
    });
    expect(changes.map((c) => c.state)).to.deep.equal([
      "DealNegotiating",
      "DealAgreed",
      "ResultsSubmitted",
      "ResultsAccepted",
    ]);
    for (const change of changes) {
      const asOf = (await store.get("Deal", d.key, Number(change.blockNumber)))!;
      expect(asOf.state).to.equal(change.state);
      expect(asOf.updatedAtBlock).to.equal(change.blockNumber);
    }
    expect(await store.get("Deal", d.key, Number(changes[0].blockNumber) - 1)).to.equal(null);
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
        [accord.deployment.contracts.DealMarket.address, accord.deployment.contracts.ServiceRegistry.address].includes(
          l.address.toLowerCase(),
        ),
      );
    expect(counted.events).to.equal(logs.length);
    expect(counted.blocks).to.equal(
      (await store.checkpoint())!.blockNumber - accord.deployment.contracts.DealMarket.blockNumber + 1,
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
});
