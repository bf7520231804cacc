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

describe("DealMarket.mediationAcceptResult", () => {
  const setup = () => loadFixture(deployMarketFixture);

  describeMediationGuards(
    "mediationAcceptResult",
    [AgreementState.ResultsSubmitted, AgreementState.MediationAccepted, AgreementState.MediationRejected],
    AgreementState.MediationAccepted,
  );

  describe("when the drawn mediator accepts in time", () => {
    // [name, instructionCount, mediationFee, job payment, payment collateral refunded, draw situation]
    const cases: Array<[string, bigint, bigint, bigint, bigint, DrawSituation]> = [
      [
        "the job cost is below the payment collateral",
        DEFAULT_INSTRUCTION_COUNT,
        50_000n,
        600_000n,
        400_000n,
        "computed",
      ],
      [
        "the job cost exceeds the payment collateral",
        OVER_COLLATERAL_INSTRUCTION_COUNT,
        50_000n,
        1_000_000n,
        0n,
        "computed",
      ],
      ["the mediation fee is zero", DEFAULT_INSTRUCTION_COUNT, 0n, 600_000n, 400_000n, "computed"],
      ["the draw was fixed 768 blocks ago", DEFAULT_INSTRUCTION_COUNT, 50_000n, 600_000n, 400_000n, "fixed"],
      ["the draw was renewed after 256 blocks", DEFAULT_INSTRUCTION_COUNT, 50_000n, 600_000n, 400_000n, "redrawn"],
    ];
    for (const [name, n, fee, payment, refund, situation] of cases) {
      it(`settles as an accept and pays the mediator when ${name}`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ pricing: { mediationFee: fee } });
        const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms, instructionCount: n });
        await prepareDraw(ctx, deal, situation);
        const mediator = await mediatorOf(deal);
        const rc = 2n * 1_000n * n;
        const tx = await ctx.market.connect(mediator).mediationAcceptResult(deal.dealId, deal.terms, n);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.MediationAccepted, agreedBy: 3, tx });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealKey, AgreementState.MediationAccepted);
        const mediators = [0n, 0n, 0n];
        mediators[deal.mediatorIndex] = fee;
        await expectDeltas(tx, ctx, {
          resourceProvider: payment + rc,
          jobCreator: refund,
          mediators,
          market: -(payment + rc + refund + fee),
        });
        const expected: PaymentTuple[] = [
          [ctx.resourceProvider.address, payment, Reason.JobPayment, Dir.PaidOut],
          [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.Refunded],
          [ctx.jobCreator.address, refund, Reason.PaymentCollateral, Dir.Refunded],
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
