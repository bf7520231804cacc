/**
 * Deal-ID squatting: a third party sees a deal ID before the parties' signed agreement lands (in the mempool, or
 * off chain) and creates a record with that ID first. Deals are stored under keccak256(dealId, jobCreator,
 * resourceProvider), and only the parties can create a record under a key that names them, so the squatter only
 * ever creates its own, separate record.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  dealKeyOfTerms,
  deployMarketFixture,
  inOneBlock,
  makeTerms,
  nextDealId,
  passDeadline,
  signAgreement,
  withTerms,
  type DealTerms,
} from "../../helpers/fixtures";
import { expectDealCreated, expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";

describe("DealMarket deal-ID squatting", () => {
  const setup = () => loadFixture(deployMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;

  /** The parties' signed agreement (not yet submitted) and a squatter's terms for the same deal ID. */
  async function pendingAgreement(ctx: Ctx, squatAs: "jobCreator" | "resourceProvider" = "jobCreator") {
    const dealId = nextDealId();
    const terms = makeTerms();
    const deadline = BigInt(await time.latest()) + 3_600n;
    const jcSig = await signAgreement(ctx.jobCreator, ctx.market, dealId, terms, deadline);
    const rpSig = await signAgreement(ctx.resourceProvider, ctx.market, dealId, terms, deadline);
    // The squatter names itself in one role and keeps the other real party (the likeliest way to look legitimate).
    const squatterTerms: DealTerms = withTerms(terms, {
      members: { [squatAs]: ctx.stranger.address },
      pricing: { paymentCollateral: 7n },
      timeouts: { judgeResultsCollateral: 3n, submitResultsCollateral: 5n },
    });
    const submit = (o = {}) =>
      ctx.market.connect(ctx.solver).agreeWithSignatures(dealId, terms, deadline, jcSig, rpSig, o);
    return {
      dealId,
      terms,
      deadline,
      jcSig,
      rpSig,
      key: dealKeyOfTerms(dealId, terms),
      squatterTerms,
      squatterKey: dealKeyOfTerms(dealId, squatterTerms),
      submit,
    };
  }

  for (const squatAs of ["jobCreator", "resourceProvider"] as const) {
    describe(`when a third party front-runs the signed agreement, naming itself as the ${squatAs}`, () => {
      it("lets both transactions of the block succeed: the squatter's record and the signed agreement", async () => {
        const ctx = await setup();
        const p = await pendingAgreement(ctx, squatAs);
        expect(p.squatterKey).to.not.equal(p.key);
        const [squat, agreed] = await inOneBlock([
          (o) => ctx.market.connect(ctx.stranger).agree(p.dealId, p.squatterTerms, o),
          (o) => p.submit(o),
        ]);
        expect([squat.status, agreed.status], "squat, then the signed agreement").to.deep.equal([1, 1]);
        expect(squat.index).to.be.lessThan(agreed.index);
        await expectRecord(ctx.market, p.key, { state: AgreementState.DealAgreed, agreedBy: 3 });
        await expectRecord(ctx.market, p.squatterKey, {
          state: AgreementState.DealNegotiating,
          agreedBy: squatAs === "jobCreator" ? 1 : 2,
        });
      });

      it("keeps both records apart: each queryable by its key, each with its own events and escrow", async () => {
        const ctx = await setup();
        const p = await pendingAgreement(ctx, squatAs);
        const squat = await ctx.market.connect(ctx.stranger).agree(p.dealId, p.squatterTerms);
        const squatEscrow =
          squatAs === "jobCreator"
            ? p.squatterTerms.pricing.paymentCollateral + p.squatterTerms.timeouts.judgeResultsCollateral
            : p.squatterTerms.timeouts.submitResultsCollateral;
        await expectDeltas(squat, ctx, { stranger: -squatEscrow, market: squatEscrow });
        await expectDealCreated(ctx.market, squat, p.dealId, p.squatterTerms);
        await expect(squat).to.emit(ctx.market, "PartyAgreed").withArgs(p.squatterKey, ctx.stranger.address);

        const agreed = await p.submit();
        await expectDealCreated(ctx.market, agreed, p.dealId, p.terms);
        await expect(agreed).to.emit(ctx.market, "DealStateChange").withArgs(p.key, AgreementState.DealAgreed);
        const { paymentCollateral } = p.terms.pricing;
        const { judgeResultsCollateral, submitResultsCollateral } = p.terms.timeouts;
        await expectDeltas(agreed, ctx, {
          jobCreator: -(paymentCollateral + judgeResultsCollateral),
          resourceProvider: -submitResultsCollateral,
          market: paymentCollateral + judgeResultsCollateral + submitResultsCollateral,
        });
        await expectPayments(ctx.market, agreed, p.key, [
          [ctx.jobCreator.address, paymentCollateral, Reason.PaymentCollateral, Dir.PaidIn],
          [ctx.jobCreator.address, judgeResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
          [ctx.resourceProvider.address, submitResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        ]);
        await expectPayments(ctx.market, agreed, p.squatterKey, []);

        // Queryable by key: records, states, and the events filtered by their indexed key.
        expect(await ctx.market.getDealState(p.key)).to.equal(AgreementState.DealAgreed);
        expect(await ctx.market.getDealState(p.squatterKey)).to.equal(AgreementState.DealNegotiating);
        expect((await ctx.market.getDeal(p.key)).commitment).to.not.equal(
          (await ctx.market.getDeal(p.squatterKey)).commitment,
        );
        const created = async (key: string) => ctx.market.queryFilter(ctx.market.filters.DealCreated(key));
        const [real] = await created(p.key);
        const [fake] = await created(p.squatterKey);
        expect([(await created(p.key)).length, (await created(p.squatterKey)).length]).to.deep.equal([1, 1]);
        expect(real.args.dealId).to.equal(p.dealId);
        expect(fake.args.dealId).to.equal(p.dealId);
        expect([real.args.jobCreator, real.args.resourceProvider]).to.deep.equal([
          ctx.jobCreator.address,
          ctx.resourceProvider.address,
        ]);
        expect([fake.args.jobCreator, fake.args.resourceProvider]).to.deep.equal([
          p.squatterTerms.members.jobCreator,
          p.squatterTerms.members.resourceProvider,
        ]);
        const states = async (key: string) =>
          (await ctx.market.queryFilter(ctx.market.filters.DealStateChange(key))).map((e) => Number(e.args.state));
        expect(await states(p.key)).to.deep.equal([AgreementState.DealAgreed]);
        expect(await states(p.squatterKey)).to.deep.equal([AgreementState.DealNegotiating]);
      });

      it("leaves the signed deal to run its course while the squatter's record only times out to its own refund", async () => {
        const ctx = await setup();
        const p = await pendingAgreement(ctx, squatAs);
        await ctx.market.connect(ctx.stranger).agree(p.dealId, p.squatterTerms);
        await p.submit();
        await ctx.market.connect(ctx.resourceProvider).addResult(p.dealId, p.terms, p.dealId, 600n);
        const accept = await ctx.market.connect(ctx.jobCreator).acceptResult(p.dealId, p.terms, 600n);
        await expectDeltas(accept, ctx, {
          resourceProvider: 600_000n + 1_200_000n,
          jobCreator: 400_000n + 20_000n,
          market: -2_220_000n,
        });
        await expectRecord(ctx.market, p.key, { state: AgreementState.ResultsAccepted, agreedBy: 3 });
        await passDeadline(ctx.market, p.squatterKey, p.squatterTerms.timeouts.agree);
        const refund = await ctx.market.connect(ctx.stranger).timeoutAgree(p.dealId, p.squatterTerms);
        const squatEscrow = squatAs === "jobCreator" ? 10n : 5n;
        await expectDeltas(refund, ctx, { stranger: squatEscrow, market: -squatEscrow });
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    });
  }

  it("lets the real parties agree on the two-step path as well, after a squatter took the ID", async () => {
    const ctx = await setup();
    const p = await pendingAgreement(ctx);
    await ctx.market.connect(ctx.stranger).agree(p.dealId, p.squatterTerms);
    await ctx.market.connect(ctx.jobCreator).agree(p.dealId, p.terms);
    const tx = await ctx.market.connect(ctx.resourceProvider).agree(p.dealId, p.terms);
    await expectRecord(ctx.market, p.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    await expectRecord(ctx.market, p.squatterKey, { state: AgreementState.DealNegotiating, agreedBy: 1 });
  });

  describe("when the squatter tries to impersonate the parties", () => {
    it("reverts with DealMarket_Unauthorized(dealKey, squatter) when it agrees naming both real parties", async () => {
      const ctx = await setup();
      const p = await pendingAgreement(ctx);
      await expect(ctx.market.connect(ctx.stranger).agree(p.dealId, p.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(p.key, ctx.stranger.address);
      // Other terms naming the same two parties are the same key: refused the same way.
      const other = withTerms(p.terms, {
        members: { solver: ctx.stranger.address },
        pricing: { paymentCollateral: 1n },
      });
      await expect(ctx.market.connect(ctx.stranger).agree(p.dealId, other))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(p.key, ctx.stranger.address);
      expect((await ctx.market.getDeal(p.key)).updatedAt).to.equal(0n);
      await p.submit();
      await expectRecord(ctx.market, p.key, { state: AgreementState.DealAgreed, agreedBy: 3 });
    });

    it("reverts with DealMarket_InvalidSignature when it submits terms naming both parties without their signatures", async () => {
      const ctx = await setup();
      const p = await pendingAgreement(ctx);
      const other = withTerms(p.terms, { members: { solver: ctx.stranger.address } });
      const own = await signAgreement(ctx.stranger, ctx.market, p.dealId, other, p.deadline);
      await expect(ctx.market.connect(ctx.stranger).agreeWithSignatures(p.dealId, other, p.deadline, own, own))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.jobCreator.address);
      // The parties' signatures over the real terms do not carry over to other terms.
      await expect(ctx.market.connect(ctx.stranger).agreeWithSignatures(p.dealId, other, p.deadline, p.jcSig, p.rpSig))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.jobCreator.address);
      await p.submit();
      await expectRecord(ctx.market, p.key, { state: AgreementState.DealAgreed, agreedBy: 3 });
    });

    it("cannot act on the parties' deal: every step names its own key and the squatter is no party to it", async () => {
      const ctx = await setup();
      const p = await pendingAgreement(ctx);
      await p.submit();
      const m = ctx.market.connect(ctx.stranger);
      for (const call of [
        () => m.addResult(p.dealId, p.terms, p.dealId, 600n),
        () => m.timeoutSubmitResults(p.dealId, p.terms),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
          .withArgs(p.key, ctx.stranger.address);
      }
    });
  });
});
