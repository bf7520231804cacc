// Whole deals through the clients: one-transaction agreement by the solver, the two-step path, mediation
// both ways, and the timeouts (with time travel).

import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress } from "ethers";
import {
  AgreementState,
  cidToBytes32,
  paymentDirectionNames,
  paymentReasonNames,
  PaymentDirection,
  PaymentReason,
  type Deal,
} from "../../src/model";
import {
  dealTermsOf,
  dealToTerms,
  type AccordTxResult,
  type MediatorClient,
  type PendingMediation,
} from "../../src/clients";
import {
  clientsFixture,
  expectContractError,
  makeDeal,
  passDeadline,
  RESULTS_CID,
  stateName,
  TOKEN,
  type ClientsFixture,
} from "./helpers";

const INSTRUCTIONS = 10n;

function payments(result: AccordTxResult) {
  return result.filter("Payment").map(({ args }) => ({
    payee: getAddress(args.payee),
    amount: args.amount,
    reason: paymentReasonNames[Number(args.reason)],
    direction: paymentDirectionNames[Number(args.direction)],
  }));
}

async function balances(f: ClientsFixture): Promise<{ jc: bigint; rp: bigint; market: bigint }> {
  return {
    jc: await f.token.balanceOf(f.accounts.jobCreator.address),
    rp: await f.token.balanceOf(f.accounts.resourceProvider.address),
    market: await f.token.balanceOf(await f.market.getAddress()),
  };
}

/** Agrees through the solver (both parties sign) and submits results. */
async function agreedWithResults(f: ClientsFixture, deal: Deal): Promise<void> {
  // The solver picks the deadline and asks each party to sign for it.
  await f.solver.agreeWithSignatures(deal, {
    jobCreator: (request) => f.jobCreator.signAgreement(request, { deadline: request.deadline }),
    resourceProvider: (request) => f.resourceProvider.signAgreement(request, { deadline: request.deadline }),
  });
  await f.resourceProvider.addResult(deal, {
    results_id: RESULTS_CID,
    instruction_count: INSTRUCTIONS,
    deal_id: deal.id,
  });
}

/** The mediator client drawn for the deal, and its pending entry. */
async function drawnMediator(
  f: ClientsFixture,
  deal: Deal,
): Promise<{ client: MediatorClient; pending: PendingMediation }> {
  for (const client of f.mediators) {
    const pending = (await client.getPendingMediations()).find((p) => p.dealCid === deal.id);
    if (pending) return { client, pending };
  }
  throw new Error("no mediator has the deal pending");
}

describe("clients: deal paths", function () {
  it("happy path: the solver submits both signatures in one transaction, results accepted", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    const before = await balances(f);

    const jcSigned = await f.jobCreator.signAgreement(deal);
    const rpSigned = await f.resourceProvider.signAgreement(deal, { deadline: jcSigned.deadline });
    expect(jcSigned.approval?.get("Approval").args.value).to.equal(103n * TOKEN); // payment 100 + judge collateral 3
    expect(rpSigned.approval?.get("Approval").args.value).to.equal(10n * TOKEN); // submit collateral

    const agreed = await f.solver.agreeWithSignatures(deal, { jobCreator: jcSigned, resourceProvider: rpSigned });
    const created = agreed.get("DealCreated");
    expect(created.args.dealId).to.equal(cidToBytes32(deal.id));
    expect(created.args.dealKey).to.equal(await f.solver.dealKey(deal));
    expect(agreed.events.every((e) => !("dealKey" in e.args) || e.args.dealKey === created.args.dealKey)).to.equal(
      true,
    );
    // The event logs the terms flattened, addresses lower-case: dealTermsOf gives them back as the model does.
    expect(dealTermsOf(created)).to.deep.equal(dealToTerms(deal));
    expect(created.args.mediators).to.deep.equal(f.accounts.mediators.map((m) => m.address.toLowerCase()));
    expect(agreed.filter("DealStateChange").map(stateName)).to.deep.equal(["DealAgreed"]);
    expect(payments(agreed)).to.deep.equal([
      { payee: f.accounts.jobCreator.address, amount: 100n * TOKEN, reason: "PaymentCollateral", direction: "PaidIn" },
      { payee: f.accounts.jobCreator.address, amount: 3n * TOKEN, reason: "TimeoutCollateral", direction: "PaidIn" },
      {
        payee: f.accounts.resourceProvider.address,
        amount: 10n * TOKEN,
        reason: "TimeoutCollateral",
        direction: "PaidIn",
      },
    ]);
    expect(await f.solver.getDealState(deal)).to.equal(AgreementState.DealAgreed);

    const added = await f.resourceProvider.addResult(deal, {
      results_id: RESULTS_CID,
      instruction_count: INSTRUCTIONS,
      deal_id: deal.id,
    });
    const resultAdded = added.get("ResultAdded");
    expect(resultAdded.args.resultsId).to.equal(cidToBytes32(RESULTS_CID));
    expect(resultAdded.args.instructionCount).to.equal(INSTRUCTIONS);
    // results collateral 2 × 20 = 40, minus the 10 submit collateral returned: 30 approved and pulled.
    expect(added.approval?.get("Approval").args.value).to.equal(30n * TOKEN);

    // instructionCount found on chain (ResultAdded), not passed.
    const accepted = await f.jobCreator.acceptResult(deal);
    expect(accepted.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.ResultsAccepted));
    expect(payments(accepted)).to.deep.equal([
      { payee: f.accounts.resourceProvider.address, amount: 20n * TOKEN, reason: "JobPayment", direction: "PaidOut" },
      {
        payee: f.accounts.resourceProvider.address,
        amount: 40n * TOKEN,
        reason: "ResultsCollateral",
        direction: "Refunded",
      },
      { payee: f.accounts.jobCreator.address, amount: 80n * TOKEN, reason: "PaymentCollateral", direction: "Refunded" },
      { payee: f.accounts.jobCreator.address, amount: 3n * TOKEN, reason: "TimeoutCollateral", direction: "Refunded" },
    ]);

    const after = await balances(f);
    expect(after.jc - before.jc).to.equal(-20n * TOKEN);
    expect(after.rp - before.rp).to.equal(20n * TOKEN);
    expect(after.market).to.equal(before.market);
  });

  it("two-step path: each party agrees with `agree`, in either order", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);

    const first = await f.resourceProvider.agree(deal);
    expect(first.get("DealCreated").args.dealId).to.equal(cidToBytes32(deal.id));
    expect(first.get("PartyAgreed").args.party).to.equal(f.accounts.resourceProvider.address.toLowerCase());
    expect(stateName(first.get("DealStateChange"))).to.equal("DealNegotiating");
    expect(first.approval).to.not.equal(undefined);
    const negotiating = await f.jobCreator.getDealRecord(deal);
    expect(negotiating.agreedBy).to.deep.equal({ jobCreator: false, resourceProvider: true });

    const second = await f.jobCreator.agree(deal);
    expect(second.find("DealCreated")).to.equal(undefined);
    expect(stateName(second.get("DealStateChange"))).to.equal("DealAgreed");
    expect(payments(second)[0]).to.include({ reason: "PaymentCollateral", direction: "PaidIn" });
    expect((await f.jobCreator.getDealRecord(deal)).agreedBy).to.deep.equal({
      jobCreator: true,
      resourceProvider: true,
    });

    await f.resourceProvider.addResult(deal, { resultsId: cidToBytes32(RESULTS_CID), instructionCount: 60 });
    // The job cost (120) exceeds the payment collateral (100): the provider is paid the collateral.
    const accepted = await f.jobCreator.acceptResult(deal, { instructionCount: 60n });
    const jobPayment = accepted.filter("Payment").find((p) => p.args.reason === BigInt(PaymentReason.JobPayment));
    expect(jobPayment?.args.amount).to.equal(100n * TOKEN);
    expect(await f.jobCreator.getDealState(first.get("DealCreated").args.dealKey)).to.equal(
      AgreementState.ResultsAccepted,
    );
  });

  it("mediation accepts the result: the drawn mediator finds it pending and is paid the fee", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreedWithResults(f, deal);

    const checked = await f.jobCreator.checkResult(deal);
    // The draw: checkResult's block; the mediator follows from that block's hash.
    const request = checked.get("MediationRequested");
    expect(request.args).to.deep.equal({ dealKey: checked.dealKey, drawBlock: BigInt(checked.blockNumber) });
    expect(request.blockHash).to.equal(checked.receipt.blockHash);
    const requested = { mediator: checked.mediator, mediatorIndex: checked.mediatorIndex };
    expect(requested.mediator).to.equal(f.accounts.mediators[requested.mediatorIndex].address);
    // fee 5 − judge collateral 3 returned: 2 approved and pulled.
    expect(checked.approval?.get("Approval").args.value).to.equal(2n * TOKEN);
    expect(await f.jobCreator.getDealState(deal)).to.equal(AgreementState.ResultsChecked);

    const { client, pending } = await drawnMediator(f, deal);
    expect(await client.getAddress()).to.equal(requested.mediator);
    expect(pending).to.deep.include({
      dealCid: deal.id,
      dealKey: checked.dealKey,
      instructionCount: INSTRUCTIONS,
      mediatorIndex: requested.mediatorIndex,
      drawBlock: checked.drawBlock,
      drawFixed: false,
      drawExpired: false,
      resultsCid: RESULTS_CID,
      expired: false,
    });
    for (const other of f.mediators.filter((m) => m !== client)) {
      expect(await other.getPendingMediations()).to.deep.equal([]);
    }

    // Decides from the pending entry alone (terms from DealCreated, no model Deal needed).
    const decided = await client.mediationAcceptResult(pending);
    expect(decided.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.MediationAccepted));
    expect(payments(decided)).to.deep.include({
      payee: requested.mediator,
      amount: 5n * TOKEN,
      reason: "MediationFee",
      direction: "PaidOut",
    });
    expect(await client.getPendingMediations()).to.deep.equal([]);
  });

  it("mediation rejects the result: the job creator gets the provider's results collateral", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreedWithResults(f, deal);
    const before = await balances(f);
    await f.jobCreator.checkResult(deal, { instructionCount: INSTRUCTIONS });
    const { client } = await drawnMediator(f, deal);

    // From the model Deal: the instruction count looked up on chain (by key); the chain knows the mediator.
    const decided = await client.mediationRejectResult(deal);
    expect(stateName(decided.get("DealStateChange"))).to.equal("MediationRejected");
    const slashed = payments(decided).find((p) => p.direction === paymentDirectionNames[PaymentDirection.Slashed]);
    expect(slashed).to.include({ payee: f.accounts.jobCreator.address, amount: 40n * TOKEN });

    const after = await balances(f);
    // JC: −2 at check (fee 5 − judge 3), +100 payment collateral, +40 slashed results collateral.
    expect(after.jc - before.jc).to.equal(138n * TOKEN);
    expect(after.rp).to.equal(before.rp);
  });

  it("timeoutSubmitResults: the provider never delivers; the job creator takes its submit collateral", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await f.jobCreator.agree(deal);
    await f.resourceProvider.agree(deal);

    // Too early: the step's deadline has not passed.
    const early = await expectContractError(f.jobCreator.timeoutSubmitResults(deal), "DealMarket_DeadlineNotPassed");
    const deadline = await f.jobCreator.getDealDeadline(deal);
    expect(deadline).to.deep.include({ timeout: "submitResults", passed: false, stateName: "DealAgreed" });
    expect(early.args.deadline).to.equal(deadline.deadline);

    await passDeadline(deadline.deadline);
    expect((await f.jobCreator.getDealDeadline(deal)).passed).to.equal(true);
    const before = await balances(f);
    const timedOut = await f.jobCreator.timeoutSubmitResults(deal);
    expect(timedOut.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.TimeoutSubmitResults));
    expect((await balances(f)).jc - before.jc).to.equal(113n * TOKEN); // 100 + 3 back, 10 slashed
    expect((await f.jobCreator.getDealDeadline(deal)).deadline).to.equal(null);
  });

  it("timeoutJudgeResults: a silent job creator pays and loses its judge collateral", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreedWithResults(f, deal);
    await passDeadline((await f.resourceProvider.getDealDeadline(deal)).deadline);
    const timedOut = await f.resourceProvider.timeoutJudgeResults(deal);
    expect(stateName(timedOut.get("DealStateChange"))).to.equal("TimeoutJudgeResults");
    expect(payments(timedOut)).to.deep.include({
      payee: f.accounts.resourceProvider.address,
      amount: 3n * TOKEN,
      reason: "TimeoutCollateral",
      direction: "Slashed",
    });
  });

  it("timeoutAgree: the other party never agrees; only the party that agreed may reclaim", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await f.jobCreator.agree(deal);
    await passDeadline((await f.jobCreator.getDealDeadline(deal)).deadline);

    const notAgreed = await expectContractError(f.resourceProvider.timeoutAgree(deal), "DealMarket_Unauthorized");
    expect(notAgreed.args.caller).to.equal(f.accounts.resourceProvider.address);
    const timedOut = await f.jobCreator.timeoutAgree(deal);
    expect(timedOut.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.TimeoutAgree));
    expect(timedOut.filter("Payment").reduce((sum, p) => sum + p.args.amount, 0n)).to.equal(103n * TOKEN);
  });

  it("timeoutMediateResults: the mediator stays silent; everyone is refunded, the pending entry turns expired", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreedWithResults(f, deal);
    await f.jobCreator.checkResult(deal);
    const { client } = await drawnMediator(f, deal);
    await passDeadline((await f.resourceProvider.getDealDeadline(deal)).deadline);

    const [expired] = await client.getPendingMediations();
    expect(expired.expired).to.equal(true);
    expect(await client.getPendingMediations({ includeExpired: false })).to.deep.equal([]);
    await expectContractError(client.mediationAcceptResult(expired), "DealMarket_DeadlinePassed");

    const timedOut = await f.resourceProvider.timeoutMediateResults(deal);
    expect(timedOut.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.TimeoutMediateResults));
    expect(payments(timedOut).map((p) => `${p.reason}/${p.direction}`)).to.deep.equal([
      "PaymentCollateral/Refunded",
      "MediationFee/Refunded",
      "ResultsCollateral/Refunded",
    ]);
    expect(await client.getPendingMediations()).to.deep.equal([]);
  });
});
