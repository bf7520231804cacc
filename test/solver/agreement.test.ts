// A proposal carried to the chain on the in-process network: each party's EIP-712 Agreement checked when it arrives,
// agreeWithSignatures submitted once both are in, the deal found on chain after a restart that lost the record of
// its submission (never submitted twice), the market's refusal, and proposals not signed in time.

import fs from "node:fs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { AgreementState } from "../../src/model";
import { openDriver, type SqlDriver } from "../../src/indexer";
import {
  ClientAgreementChain,
  OFFER_POST_TYPES,
  offerPost,
  offerPostDomain,
  ProposalSignError,
  resolveIntakeRules,
  Solver,
  SolverState,
  type AgreementChain,
  type OfferKind,
  type PostOutcome,
  type SolverNotice,
} from "../../src/solver";
import type { Deal } from "../../src/model/types";
import { freshPgliteDir } from "../indexer/helpers/stores";
import { clientsFixture, type ClientsFixture } from "../clients/helpers";
import { jobBody, resourceBody, type Json } from "./helpers";

const pricing = { instruction_price: 1, payment_collateral: 10, results_collateral_multiple: 2, mediation_fee: 1 };
const timeouts = {
  agree: { timeout: 600, collateral: 1 },
  submit_results: { timeout: 600, collateral: 1 },
  judge_results: { timeout: 600, collateral: 1 },
  mediate_results: { timeout: 600, collateral: 1 },
};

describe("solver: agreements on chain", function () {
  let fx: ClientsFixture;
  let driver: SqlDriver;
  let dataDir: string;
  let clock: number;
  let nonce = 0;

  before(async () => {
    fx = await clientsFixture();
  });
  beforeEach(async () => {
    dataDir = await freshPgliteDir();
    driver = await openDriver({ dataDir });
    clock = Date.now();
  });
  afterEach(async () => {
    await driver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  const rules = () => resolveIntakeRules({ chainId: 31337n, solver: fx.accounts.solver.address });

  async function start(chain: AgreementChain | null = new ClientAgreementChain(fx.solver)): Promise<Solver> {
    return Solver.start({
      state: await SolverState.open(driver),
      rules: rules(),
      chain: chain ?? undefined,
      matchTimeoutMs: 60_000,
      signTimeoutMs: 10_000,
      retryDelayMs: 10,
      now: () => clock,
    });
  }

  const trusted = () => ({ solver: fx.accounts.solver.address, mediator: [fx.accounts.mediators[0].address] });

  async function post(solver: Solver, kind: OfferKind, signer: HardhatEthersSigner, body: Json): Promise<PostOutcome> {
    const signature = await signer.signTypedData(
      offerPostDomain(31337n),
      OFFER_POST_TYPES,
      offerPost(kind, String(body.id), fx.accounts.solver.address),
    );
    return kind === "job"
      ? solver.postJobOffer(JSON.stringify(body), signature)
      : solver.postResourceOffer(JSON.stringify(body), signature);
  }

  /** A resource offer by the fixture's provider, then a job offer that matches it: the proposal. */
  async function propose(solver: Solver): Promise<Deal> {
    nonce += 1;
    const resource = await resourceBody({
      created_at: clock,
      resource_provider: fx.accounts.resourceProvider.address,
      index: nonce,
      default_pricing: pricing,
      default_timeouts: timeouts,
      trusted_parties: trusted(),
    });
    expect((await post(solver, "resource", fx.accounts.resourceProvider, resource)).status).to.equal("open");
    const job = await jobBody({
      created_at: clock,
      job_creator: fx.accounts.jobCreator.address,
      inputs: { n: String(nonce) },
      mode: "MarketPrice",
      pricing,
      timeouts,
      trusted_parties: trusted(),
    });
    const outcome = await post(solver, "job", fx.accounts.jobCreator, job);
    expect(outcome.status).to.equal("proposed");
    return (outcome as Extract<PostOutcome, { status: "proposed" }>).deal;
  }

  const deadlineOf = (solver: Solver, deal: Deal) => solver.liveProposals.get(deal.id)!.deadline;
  const signAs = async (role: "jobCreator" | "resourceProvider", solver: Solver, deal: Deal) =>
    (await fx[role].signAgreement(deal, { deadline: deadlineOf(solver, deal) })).signature;

  function waitFor(solver: Solver, kind: SolverNotice["kind"]): Promise<SolverNotice> {
    return new Promise((resolve) => {
      const on = (notice: SolverNotice) => {
        if (notice.kind !== kind) return;
        solver.off("notice", on);
        resolve(notice);
      };
      solver.on("notice", on);
    });
  }

  async function refusal(promise: Promise<unknown>): Promise<ProposalSignError> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(ProposalSignError);
      return error as ProposalSignError;
    }
    expect.fail("the signature was taken");
  }

  it("submits agreeWithSignatures once both have signed: the deal is agreed on chain", async () => {
    const solver = await start();
    const deal = await propose(solver);
    const jcSignature = await signAs("jobCreator", solver, deal);
    expect(await solver.signProposal(deal.id, fx.accounts.jobCreator.address, jcSignature)).to.equal("proposed");
    // Signing twice is harmless.
    expect(await solver.signProposal(deal.id, fx.accounts.jobCreator.address, jcSignature)).to.equal("proposed");
    const agreed = waitFor(solver, "agreed");
    const rpSignature = await signAs("resourceProvider", solver, deal);
    expect(await solver.signProposal(deal.id, fx.accounts.resourceProvider.address, rpSignature)).to.equal("signed");
    const notice = (await agreed) as Extract<SolverNotice, { kind: "agreed" }>;
    expect(notice.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await fx.solver.getDealState(deal)).to.equal(AgreementState.DealAgreed);
    const stored = await (await SolverState.open(driver)).proposal(deal.id);
    expect(stored).to.include({ state: "agreed", dealKey: notice.dealKey, txHash: notice.txHash });
    expect(solver.liveProposals.has(deal.id)).to.equal(false);
    await solver.close();
  });

  it("refuses a signature by anyone else, over another deadline, from a stranger, or for no proposal", async () => {
    const solver = await start();
    const deal = await propose(solver);
    const deadline = deadlineOf(solver, deal);
    const rpOverOtherDeadline = (await fx.resourceProvider.signAgreement(deal, { deadline: deadline + 1n })).signature;
    expect(
      (await refusal(solver.signProposal(deal.id, fx.accounts.resourceProvider.address, rpOverOtherDeadline))).code,
    ).to.equal("BAD_SIGNATURE");
    const jcSignature = await signAs("jobCreator", solver, deal);
    expect(
      (await refusal(solver.signProposal(deal.id, fx.accounts.resourceProvider.address, jcSignature))).code,
    ).to.equal("BAD_SIGNATURE");
    expect((await refusal(solver.signProposal(deal.id, fx.accounts.stranger.address, jcSignature))).code).to.equal(
      "NOT_A_PARTY",
    );
    expect(
      (await refusal(solver.signProposal("QmNoSuchDeal", fx.accounts.jobCreator.address, jcSignature))).code,
    ).to.equal("NOT_FOUND");
    const stored = await (await SolverState.open(driver)).proposal(deal.id);
    expect(stored?.signatures).to.deep.equal({});
    const unconfigured = await start(null);
    expect(
      (await refusal(unconfigured.signProposal(deal.id, fx.accounts.jobCreator.address, jcSignature))).code,
    ).to.equal("NOT_CONFIGURED");
    await solver.close();
  });

  it("after a restart that lost the submission's record, finds the deal on chain and never submits it again", async () => {
    const real = new ClientAgreementChain(fx.solver);
    let submissions = 0;
    // The first solver's submission goes through, then the process "dies" before recording it.
    const dying: AgreementChain = {
      verify: (...args) => real.verify(...args),
      lookup: (deal) => real.lookup(deal),
      time: () => real.time(),
      submit: async (...args) => {
        submissions += 1;
        await real.submit(...args);
        return new Promise(() => {});
      },
    };
    const first = await start(dying);
    const deal = await propose(first);
    await first.signProposal(deal.id, fx.accounts.jobCreator.address, await signAs("jobCreator", first, deal));
    await first.signProposal(
      deal.id,
      fx.accounts.resourceProvider.address,
      await signAs("resourceProvider", first, deal),
    );
    while (!(await fx.solver.getDealRecord(deal)).exists) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await (await SolverState.open(driver)).proposal(deal.id))?.state).to.equal("signed");

    const counting: AgreementChain = {
      verify: (...args) => real.verify(...args),
      lookup: (d) => real.lookup(d),
      time: () => real.time(),
      submit: (...args) => {
        submissions += 1;
        return real.submit(...args);
      },
    };
    const restarted = await start(counting);
    const agreed = (await waitFor(restarted, "agreed")) as Extract<SolverNotice, { kind: "agreed" }>;
    expect(agreed.deal.id).to.equal(deal.id);
    expect(submissions).to.equal(1);
    expect((await (await SolverState.open(driver)).proposal(deal.id))?.state).to.equal("agreed");
    await restarted.close();
  });

  it("resumes a submission that never reached the chain after a restart", async () => {
    const real = new ClientAgreementChain(fx.solver);
    const stalled: AgreementChain = {
      verify: (...args) => real.verify(...args),
      lookup: (deal) => real.lookup(deal),
      time: () => real.time(),
      submit: () => new Promise(() => {}),
    };
    const first = await start(stalled);
    const deal = await propose(first);
    await first.signProposal(deal.id, fx.accounts.jobCreator.address, await signAs("jobCreator", first, deal));
    await first.signProposal(
      deal.id,
      fx.accounts.resourceProvider.address,
      await signAs("resourceProvider", first, deal),
    );
    const restarted = await start();
    await waitFor(restarted, "agreed");
    expect(await fx.solver.getDealState(deal)).to.equal(AgreementState.DealAgreed);
    await restarted.close();
  });

  it("fails a proposal the market refuses (a party's allowance short): both offers withdrawn, the parties told", async () => {
    const solver = await start();
    const deal = await propose(solver);
    const deadline = deadlineOf(solver, deal);
    // The job creator signs but leaves its allowance at zero.
    const token = await fx.jobCreator.getToken();
    await (await token.connect(fx.accounts.jobCreator).approve(await fx.market.getAddress(), 0n)).wait();
    const jc = await fx.jobCreator.signAgreement(deal, { deadline, allowance: "none" });
    const rp = await fx.resourceProvider.signAgreement(deal, { deadline });
    const failed = waitFor(solver, "failed");
    await solver.signProposal(deal.id, fx.accounts.jobCreator.address, jc.signature);
    await solver.signProposal(deal.id, fx.accounts.resourceProvider.address, rp.signature);
    const notice = (await failed) as Extract<SolverNotice, { kind: "failed" }>;
    expect(notice.reason).to.match(/ERC20InsufficientAllowance|allowance/i);
    const state = await SolverState.open(driver);
    expect((await state.proposal(deal.id))?.state).to.equal("failed");
    expect((await state.offer(deal.job_offer.id))?.state).to.equal("withdrawn");
    expect((await state.offer(deal.resource_offer.id))?.state).to.equal("withdrawn");
    expect((await fx.solver.getDealRecord(deal)).exists).to.equal(false);
    await solver.close();
  });

  it("sets agreement deadlines by the chain's clock, wherever the chain's clock is", async () => {
    const solver = await start();
    await time.increase(7200); // the chain two hours ahead of this machine
    await solver.syncChainClock();
    const deal = await propose(solver);
    const chainNow = BigInt(await time.latest());
    const deadline = deadlineOf(solver, deal);
    expect(deadline >= chainNow + 600n - 5n && deadline <= chainNow + 600n + 5n, String(deadline - chainNow)).to.equal(
      true,
    );
    // And so the agreement still goes through.
    const agreed = waitFor(solver, "agreed");
    await solver.signProposal(deal.id, fx.accounts.jobCreator.address, await signAs("jobCreator", solver, deal));
    await solver.signProposal(
      deal.id,
      fx.accounts.resourceProvider.address,
      await signAs("resourceProvider", solver, deal),
    );
    await agreed;
    await solver.close();
  });

  it("drops a proposal not signed in time: the signer's offer back in the book, the silent party's withdrawn", async () => {
    const solver = await start();
    const deal = await propose(solver);
    await solver.signProposal(deal.id, fx.accounts.jobCreator.address, await signAs("jobCreator", solver, deal));
    clock += 9_999;
    expect(await solver.dropUnsigned()).to.deep.equal([]);
    expect(solver.liveProposals.has(deal.id)).to.equal(true);
    clock += 1;
    const dropped = waitFor(solver, "dropped");
    await solver.dropUnsigned();
    expect(((await dropped) as Extract<SolverNotice, { kind: "dropped" }>).reopened).to.deep.equal([deal.job_offer.id]);
    expect(solver.book.hasJobOffer(deal.job_offer.id)).to.equal(true);
    expect(solver.book.hasResourceOffer(deal.resource_offer.id)).to.equal(false);
    const state = await SolverState.open(driver);
    expect((await state.proposal(deal.id))?.state).to.equal("dropped");
    expect((await state.offer(deal.resource_offer.id))?.state).to.equal("withdrawn");
    // A late signature finds nothing to sign.
    const late = await signAs("resourceProvider", solver, deal).catch(() => "0x");
    expect((await refusal(solver.signProposal(deal.id, fx.accounts.resourceProvider.address, late))).code).to.equal(
      "NOT_FOUND",
    );
    const restarted = await start();
    expect(restarted.book.hasJobOffer(deal.job_offer.id)).to.equal(true);
    await solver.close();
  });
});
