import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  OVER_COLLATERAL_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  deployMarketFixture,
  makeTerms,
  mediatorOf,
  prepareDraw,
  type DrawSituation,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";
import { describeMediationGuards } from "./mediation.shared";

describe("DealMarket.mediationRejectResult", () => {
  const setup = () => loadFixture(deployMarketFixture);

  describeMediationGuards(
    "mediationRejectResult",
    [AgreementState.ResultsSubmitted, AgreementState.MediationAccepted, AgreementState.TimeoutMediateResults],
    AgreementState.MediationRejected,
  );

  describe("when the drawn mediator rejects in time", () => {
    // [name, instructionCount, mediationFee, draw situation]
    const cases: Array<[string, bigint, bigint, DrawSituation]> = [
      ["the job cost is below the payment collateral", DEFAULT_INSTRUCTION_COUNT, 50_000n, "computed"],
      ["the job cost exceeds the payment collateral", OVER_COLLATERAL_INSTRUCTION_COUNT, 50_000n, "computed"],
      ["the results collateral is zero", 0n, 50_000n, "computed"],
      ["the mediation fee is zero", DEFAULT_INSTRUCTION_COUNT, 0n, "computed"],
      ["the draw was fixed 768 blocks ago", DEFAULT_INSTRUCTION_COUNT, 50_000n, "fixed"],
      ["the draw was renewed after 256 blocks", DEFAULT_INSTRUCTION_COUNT, 50_000n, "redrawn"],
    ];
    for (const [name, n, fee, situation] of cases) {
      it(`refunds the job creator, slashes the provider to it and pays the mediator when ${name}`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ pricing: { mediationFee: fee } });
        const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms, instructionCount: n });
        await prepareDraw(ctx, deal, situation);
        const mediator = await mediatorOf(deal);
        const pc = 1_000_000n;
        const rc = 2n * 1_000n * n;
        const tx = await ctx.market.connect(mediator).mediationRejectResult(deal.dealId, deal.terms, n);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.MediationRejected, agreedBy: 3, tx });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealKey, AgreementState.MediationRejected);
        const mediators = [0n, 0n, 0n];
        mediators[deal.mediatorIndex] = fee;
        await expectDeltas(tx, ctx, {
          jobCreator: pc + rc,
          resourceProvider: 0n,
          mediators,
          market: -(pc + rc + fee),
        });
        const expected: PaymentTuple[] = [
          [ctx.jobCreator.address, pc, Reason.PaymentCollateral, Dir.Refunded],
          [ctx.jobCreator.address, rc, Reason.ResultsCollateral, Dir.Slashed],
          [mediator.address, fee, Reason.MediationFee, Dir.PaidOut],
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
  });
});
