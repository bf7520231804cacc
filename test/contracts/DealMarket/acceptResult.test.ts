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

describe("DealMarket.acceptResult", () => {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;

  describeDealGuards({
    action: "acceptResult",
    expected: AgreementState.ResultsSubmitted,
    wrongStates: [AgreementState.DealAgreed, AgreementState.ResultsChecked, AgreementState.ResultsAccepted],
    caller: "jobCreator",
    unauthorized: ["resourceProvider", "solver", "mediator", "stranger"],
    args: (deal) => [deal.instructionCount],
    mismatchedArgs: (deal) => [[deal.instructionCount + 1n]],
  });

  it("reverts with DealMarket_DeadlinePassed one second after the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
      .withArgs(deal.dealKey, deadline);
  });

  it("accepts at exactly the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline);
    const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
    await expectRecord(ctx.market, deal.dealKey, {
      state: AgreementState.ResultsAccepted,
      agreedBy: 3,
      updatedAt: deadline,
    });
    await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.ResultsAccepted);
  });

  describe("when the job creator accepts in time", () => {
    // [name, instructionCount, job payment to the provider, payment collateral refunded to the job creator]
    const cases: Array<[string, bigint, bigint, bigint]> = [
      ["the job cost is below the payment collateral", count, 600_000n, 400_000n],
      ["the job cost equals the payment collateral", 1_000n, 1_000_000n, 0n],
      ["the job cost exceeds the payment collateral", OVER_COLLATERAL_INSTRUCTION_COUNT, 1_000_000n, 0n],
      ["the instruction count is zero", 0n, 0n, 1_000_000n],
    ];
    for (const [name, n, payment, refund] of cases) {
      it(`settles when ${name}`, async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { instructionCount: n });
        const rc = 2n * 1_000n * n; // resultsCollateralMultiple × instructionPrice × n
        const jtc = 20_000n;
        const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, n);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.ResultsAccepted, agreedBy: 3, tx });
        await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.ResultsAccepted);
        await expectDeltas(tx, ctx, {
          resourceProvider: payment + rc,
          jobCreator: refund + jtc,
          market: -(payment + rc + refund + jtc),
        });
        const expected: PaymentTuple[] = [
          [ctx.resourceProvider.address, payment, Reason.JobPayment, Dir.PaidOut],
          [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.Refunded],
          [ctx.jobCreator.address, refund, Reason.PaymentCollateral, Dir.Refunded],
          [ctx.jobCreator.address, jtc, Reason.TimeoutCollateral, Dir.Refunded],
        ];
        await expectPayments(
          ctx.market,
          tx,
          deal.dealKey,
          expected.filter(([, amount]) => amount > 0n),
        );
        // Everything the deal escrowed (payment + judge timeout + results collateral) has left the market.
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    }

    it("refunds only what is non-zero when the judge-results timeout collateral is zero", async () => {
      const ctx = await setup();
      const terms = makeTerms({ timeouts: { judgeResultsCollateral: 0n } });
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { terms });
      const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
      await expectDeltas(tx, ctx, { resourceProvider: 1_800_000n, jobCreator: 400_000n, market: -2_200_000n });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, 600_000n, Reason.JobPayment, Dir.PaidOut],
        [ctx.resourceProvider.address, 1_200_000n, Reason.ResultsCollateral, Dir.Refunded],
        [ctx.jobCreator.address, 400_000n, Reason.PaymentCollateral, Dir.Refunded],
      ]);
    });
  });
});
