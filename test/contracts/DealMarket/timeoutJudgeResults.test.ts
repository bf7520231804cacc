import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  OVER_COLLATERAL_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  deadlineOf,
  deployMarketFixture,
  makeTerms,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { describeDealGuards } from "./guards.shared";
import { expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";

describe("DealMarket.timeoutJudgeResults", () => {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;

  describeDealGuards({
    action: "timeoutJudgeResults",
    expected: AgreementState.ResultsSubmitted,
    wrongStates: [AgreementState.DealAgreed, AgreementState.ResultsAccepted, AgreementState.ResultsChecked],
    caller: "resourceProvider",
    unauthorized: ["jobCreator", "solver", "mediator", "stranger"],
    args: (deal) => [deal.instructionCount],
    mismatchedArgs: (deal) => [[deal.instructionCount * 2n]],
    claimAfter: "judgeResults",
  });

  it("reverts with DealMarket_DeadlineNotPassed at exactly the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.market.connect(ctx.resourceProvider).timeoutJudgeResults(deal.dealId, deal.terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealKey, deadline);
  });

  describe("when the provider claims one second after the deadline", () => {
    // [name, instructionCount, judgeResultsCollateral, job payment, payment collateral refunded]
    const cases: Array<[string, bigint, bigint, bigint, bigint]> = [
      ["the job cost is below the payment collateral", count, 20_000n, 600_000n, 400_000n],
      ["the job cost exceeds the payment collateral", OVER_COLLATERAL_INSTRUCTION_COUNT, 20_000n, 1_000_000n, 0n],
      ["the judge-results timeout collateral is zero", count, 0n, 600_000n, 400_000n],
    ];
    for (const [name, n, jtc, payment, refund] of cases) {
      it(`pays the provider as on accept plus the job creator's timeout collateral when ${name}`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ timeouts: { judgeResultsCollateral: jtc } });
        const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { terms, instructionCount: n });
        const deadline = await deadlineOf(ctx.market, deal.dealKey, terms.timeouts.judgeResults);
        await time.setNextBlockTimestamp(deadline + 1n);
        const rc = 2n * 1_000n * n;
        const tx = await ctx.market.connect(ctx.resourceProvider).timeoutJudgeResults(deal.dealId, deal.terms, n);
        await expectRecord(ctx.market, deal.dealKey, {
          state: AgreementState.TimeoutJudgeResults,
          agreedBy: 3,
          updatedAt: deadline + 1n,
        });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealKey, AgreementState.TimeoutJudgeResults);
        await expectDeltas(tx, ctx, {
          resourceProvider: payment + rc + jtc,
          jobCreator: refund,
          market: -(payment + rc + jtc + refund),
        });
        const expected: PaymentTuple[] = [
          [ctx.resourceProvider.address, payment, Reason.JobPayment, Dir.PaidOut],
          [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.Refunded],
          [ctx.resourceProvider.address, jtc, Reason.TimeoutCollateral, Dir.Slashed],
          [ctx.jobCreator.address, refund, Reason.PaymentCollateral, Dir.Refunded],
        ];
        await expectPayments(
          ctx.market,
          tx,
          deal.dealKey,
          expected.filter(([, a]) => a > 0n),
        );
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    }

    it("ends the deal: the job creator can no longer accept or check", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutJudgeResults);
      for (const fn of ["acceptResult", "checkResult"] as const) {
        await expect(ctx.market.connect(ctx.jobCreator)[fn](deal.dealId, deal.terms, count))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
          .withArgs(deal.dealKey, AgreementState.TimeoutJudgeResults, AgreementState.ResultsSubmitted);
      }
    });
  });
});
