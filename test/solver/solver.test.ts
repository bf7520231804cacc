// The solver core: posts through intake, the book and the database in step. What it accepted survives a restart,
// a proposal is never made twice for an offer, a failed write changes nothing, offers expire, and a dropped
// proposal returns its offers to the book.

import fs from "node:fs";
import { expect } from "chai";
import { openDriver, type SqlDriver } from "../../src/indexer";
import {
  OFFER_POST_TYPES,
  OfferIntakeError,
  offerPostDomain,
  offerWithdrawal,
  type ProposalSignError,
  Solver,
  SolverState,
  type PostOutcome,
} from "../../src/solver";
import { freshPgliteDir } from "../indexer/helpers/stores";
import { CHAIN, jobBody, jobCreator, NOW, provider, resourceBody, rules, sign, type Json } from "./helpers";

interface Kind {
  name: string;
  open(): Promise<{ driver: SqlDriver; schema: string; cleanup: () => Promise<void> }>;
}

/** PGlite on this thread (the library's default), or on a worker thread (accord solver's), where a batch's writes go
 * in one request (SqlDriver.writeTransaction). */
const pgliteKind = (pgliteThread: "main" | "worker"): Kind => ({
  name: pgliteThread === "main" ? "pglite" : "pglite on its thread",
  async open() {
    const dataDir = await freshPgliteDir();
    const driver = await openDriver({ dataDir, pgliteThread });
    return {
      driver,
      schema: "accord_solver",
      async cleanup() {
        await driver.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.rmSync(`${dataDir}.lock`, { force: true });
      },
    };
  },
});

const KINDS: Kind[] = [pgliteKind("main"), pgliteKind("worker")];
if (process.env.DATABASE_URL) {
  KINDS.push({
    name: "postgres",
    async open() {
      const driver = await openDriver({ databaseUrl: process.env.DATABASE_URL });
      const schema = `accord_solver_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
      return {
        driver,
        schema,
        async cleanup() {
          await driver.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await driver.close();
        },
      };
    },
  });
}

const MATCH_TIMEOUT = 30_000;

for (const kind of KINDS) {
  describe(`solver: posts, persistence and restarts (${kind.name})`, function () {
    this.timeout(60_000);
    let driver: SqlDriver;
    let schema: string;
    let cleanup: () => Promise<void>;
    let clock: number;
    const start = async (): Promise<Solver> =>
      Solver.start({
        state: await SolverState.open(driver, schema),
        rules,
        matchTimeoutMs: MATCH_TIMEOUT,
        now: () => clock,
      });
    const postJob = async (solver: Solver, overrides: Json = {}): Promise<PostOutcome & { body: Json }> => {
      const body = await jobBody(overrides);
      return { ...(await solver.postJobOffer(body, await sign(jobCreator, "job", body.id))), body };
    };
    const postResource = async (solver: Solver, overrides: Json = {}): Promise<PostOutcome & { body: Json }> => {
      const body = await resourceBody(overrides);
      return { ...(await solver.postResourceOffer(body, await sign(provider, "resource", body.id))), body };
    };

    beforeEach(async () => {
      ({ driver, schema, cleanup } = await kind.open());
      clock = NOW;
    });
    afterEach(async () => cleanup());

    it("proposes the deal when the second offer arrives, and keeps it across a restart", async () => {
      const solver = await start();
      const proposals: string[] = [];
      solver.on("proposal", (deal) => proposals.push(deal.id));
      expect((await postResource(solver)).status).to.equal("open");
      const posted = await postJob(solver);
      expect(posted.status).to.equal("proposed");
      const deal = (posted as Extract<PostOutcome, { status: "proposed" }>).deal;
      expect(proposals).to.deep.equal([deal.id]);
      expect([solver.book.jobOffers, solver.book.resourceOffers]).to.deep.equal([0, 0]);

      const restarted = await start();
      expect([...restarted.liveProposals.keys()]).to.deep.equal([deal.id]);
      expect([restarted.book.jobOffers, restarted.book.resourceOffers]).to.deep.equal([0, 0]);
      // Another job the provider's offer would suit finds it booked.
      expect((await postJob(restarted, { inputs: { prompt: "second" } })).status).to.equal("open");
    });

    it("keeps open offers across a restart, in the book", async () => {
      const first = await start();
      await postResource(first);
      await postJob(first, { spec: { gpu: 4000, cpu: 1000, ram: 512 } });
      const restarted = await start();
      expect([restarted.book.jobOffers, restarted.book.resourceOffers]).to.deep.equal([1, 1]);
      expect((await postJob(restarted, { inputs: { prompt: "fits" } })).status).to.equal("proposed");
    });

    it("answers a second post of the same offer as a duplicate, before and after a restart", async () => {
      const solver = await start();
      const body = await resourceBody();
      const signature = await sign(provider, "resource", body.id);
      expect((await solver.postResourceOffer(body, signature)).status).to.equal("open");
      expect((await solver.postResourceOffer(body, signature)).status).to.equal("duplicate");
      const restarted = await start();
      expect((await restarted.postResourceOffer(body, signature)).status).to.equal("duplicate");
      expect(restarted.book.resourceOffers).to.equal(1);
    });

    it("answers a replay of an offer that left the book as a duplicate, and takes the posts beside it", async () => {
      // The solver asks the database which offers it holds only when its key refuses a batch.
      const prototype = SolverState.prototype;
      const knownOffers = Object.getOwnPropertyDescriptor(prototype, "knownOffers")!;
      let asked = 0;
      Object.defineProperty(prototype, "knownOffers", {
        ...knownOffers,
        value(this: SolverState, ids: readonly string[]) {
          asked++;
          return (knownOffers.value as SolverState["knownOffers"]).call(this, ids);
        },
      });
      try {
        const solver = await start();
        const resource = await resourceBody();
        const resourceSignature = await sign(provider, "resource", resource.id);
        await solver.postResourceOffer(resource, resourceSignature);
        const job = await jobBody();
        const jobSignature = await sign(jobCreator, "job", job.id);
        expect((await solver.postJobOffer(job, jobSignature)).status).to.equal("proposed");
        // Both offers are matched: out of the book, in the database only. Replayed in one batch with a new offer, the
        // replays are refused by the database's key, the batch decided again, and the new offer taken.
        expect(asked, "no replay yet: the database is not asked").to.equal(0);
        const fresh = await resourceBody({ index: 1 });
        const answers = await Promise.all([
          solver.postJobOffer(job, jobSignature),
          solver.postResourceOffer(fresh, await sign(provider, "resource", fresh.id)),
          solver.postResourceOffer(resource, resourceSignature),
        ]);
        expect(answers.map((a) => a.status)).to.deep.equal(["duplicate", "open", "duplicate"]);
        expect(asked, "each replay made the database's key refuse its batch").to.be.greaterThan(0);
        expect(solver.book.jobOffers).to.equal(0);
        expect([...solver.book.resourceOfferIds()]).to.deep.equal([fresh.id]);
        expect(solver.liveProposals.size).to.equal(1);
        const restarted = await start();
        expect([...restarted.book.resourceOfferIds()]).to.deep.equal([fresh.id]);
        expect(restarted.liveProposals.size).to.equal(1);
      } finally {
        Object.defineProperty(prototype, "knownOffers", knownOffers);
      }
    });

    it("changes nothing when the write fails", async () => {
      const solver = await start();
      const transaction = driver.transaction.bind(driver);
      const writeTransaction = driver.writeTransaction?.bind(driver);
      driver.transaction = () => Promise.reject(new Error("disk full"));
      if (writeTransaction) driver.writeTransaction = () => Promise.reject(new Error("disk full"));
      try {
        const body = await resourceBody();
        let failure: unknown;
        try {
          await solver.postResourceOffer(body, await sign(provider, "resource", body.id));
        } catch (error) {
          failure = error;
        }
        expect((failure as Error).message).to.equal("disk full");
        expect(solver.book.resourceOffers).to.equal(0);
      } finally {
        driver.transaction = transaction;
        driver.writeTransaction = writeTransaction;
      }
      expect((await postJob(solver)).status, "the failed offer is not in the book").to.equal("open");
      expect((await start()).book.resourceOffers).to.equal(0);
    });

    it("withdraws an open offer its owner signs away, and nothing else", async () => {
      const solver = await start();
      const { offerId } = await postResource(solver);
      const withdrawal = (wallet: typeof provider) =>
        wallet.signTypedData(offerPostDomain(CHAIN), OFFER_POST_TYPES, offerWithdrawal(offerId, rules.solver));
      const refused = async (signature: string): Promise<unknown> => {
        try {
          await solver.withdrawOffer(offerId, signature);
        } catch (error) {
          return error;
        }
        expect.fail("the withdrawal was taken");
      };
      // Another's signature, or the post's own signature, is no withdrawal.
      expect(await refused(await withdrawal(jobCreator))).to.be.instanceOf(OfferIntakeError);
      expect(await refused(await sign(provider, "resource", offerId))).to.be.instanceOf(OfferIntakeError);
      expect(solver.book.hasResourceOffer(offerId)).to.equal(true);
      const notices: string[] = [];
      solver.on("notice", (n) => notices.push(n.kind));
      await solver.withdrawOffer(offerId, await withdrawal(provider));
      expect(notices).to.deep.equal(["withdrawn"]);
      expect(solver.book.hasResourceOffer(offerId)).to.equal(false);
      expect((await (await SolverState.open(driver, schema)).offer(offerId))?.state).to.equal("withdrawn");
      expect(((await refused(await withdrawal(provider))) as ProposalSignError).code).to.equal("NOT_FOUND");
      expect((await start()).book.resourceOffers).to.equal(0);
    });

    it("expires job offers past the match timeout, for good", async () => {
      const solver = await start();
      const waiting = await postJob(solver);
      clock = NOW + MATCH_TIMEOUT - 1;
      expect(await solver.expire()).to.deep.equal([]);
      clock = NOW + MATCH_TIMEOUT;
      expect(await solver.expire()).to.deep.equal([waiting.offerId]);
      expect(solver.book.jobOffers).to.equal(0);
      expect((await start()).book.jobOffers).to.equal(0);
    });

    it("withdraws the offers of a proposal nobody signed, and keeps the book's other offers waiting", async () => {
      const solver = await start();
      await postResource(solver);
      const first = (await postJob(solver)) as Extract<PostOutcome, { status: "proposed" }>;
      const second = await postJob(solver, { inputs: { prompt: "waiting" } });
      expect(second.status).to.equal("open");
      const notices: string[] = [];
      solver.on("notice", (n) => notices.push(n.kind));
      expect(await solver.dropProposal(first.deal.id, "not signed in time")).to.deep.equal([]);
      expect(notices).to.deep.equal(["dropped"]);
      expect([...solver.liveProposals.keys()]).to.deep.equal([]);
      const restarted = await start();
      expect([...restarted.liveProposals.keys()]).to.deep.equal([]);
      expect(restarted.book.hasJobOffer(first.offerId)).to.equal(false);
      expect(restarted.book.hasJobOffer(second.offerId)).to.equal(true);
      expect(restarted.book.resourceOffers).to.equal(0);
    });

    it("refuses a second live proposal for an offer in the database itself", async () => {
      const solver = await start();
      await postResource(solver);
      const { deal } = (await postJob(solver)) as Extract<PostOutcome, { status: "proposed" }>;
      const state = await SolverState.open(driver, schema);
      const job = await jobBody({ inputs: { prompt: "other" } });
      let refused: unknown;
      try {
        await state.recordPost({
          kind: "job",
          offer: { ...deal.job_offer, id: String(job.id) },
          moduleId: "m",
          proposal: {
            deal: {
              ...deal,
              id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4",
              job_offer: { ...deal.job_offer, id: String(job.id) },
            },
            proposedAt: clock,
            deadline: 0n,
          },
        });
      } catch (error) {
        refused = error;
      }
      expect((refused as { code?: string }).code, String(refused)).to.equal("23505");
    });
  });
}
