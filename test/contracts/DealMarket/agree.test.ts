import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, ZeroHash } from "ethers";

import {
  AgreementState,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  dealKeyOf,
  dealKeyOfTerms,
  deployMarketFixture,
  makeTerms,
  nextDealId,
  withTerms,
} from "../../helpers/fixtures";
import { expectDealCreated, expectDeltas, expectPayments, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.agree", () => {
  const setup = () => loadFixture(deployMarketFixture);

  describe("when the caller is not a party", () => {
    for (const who of ["solver", "mediator", "stranger"] as const) {
      it(`reverts with DealMarket_Unauthorized for the ${who}`, async () => {
        const ctx = await setup();
        const caller = who === "mediator" ? ctx.mediators[0] : ctx[who];
        const dealId = nextDealId();
        const terms = makeTerms();
        await expect(ctx.market.connect(caller).agree(dealId, terms))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
          .withArgs(dealKeyOfTerms(dealId, terms), caller.address);
        expect((await ctx.market.getDeal(dealKeyOfTerms(dealId, terms))).updatedAt).to.equal(0n);
      });
    }

    it("reverts with DealMarket_Unauthorized on an existing deal too", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating);
      await expect(ctx.market.connect(ctx.stranger).agree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealKey, ctx.stranger.address);
    });
  });

  describe("given the deal does not exist", () => {
    it("reverts with DealMarket_ZeroDealId when the deal ID is zero", async () => {
      const ctx = await setup();
      await expect(ctx.market.connect(ctx.jobCreator).agree(ZeroHash, makeTerms())).to.be.revertedWithCustomError(
        ctx.market,
        "DealMarket_ZeroDealId",
      );
    });

    it("reverts with DealMarket_ZeroAddressParty when the job creator is the zero address", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { jobCreator: ZeroAddress } });
      await expect(ctx.market.connect(ctx.resourceProvider).agree(nextDealId(), terms)).to.be.revertedWithCustomError(
        ctx.market,
        "DealMarket_ZeroAddressParty",
      );
    });

    it("reverts with DealMarket_ZeroAddressParty when the resource provider is the zero address", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { resourceProvider: ZeroAddress } });
      await expect(ctx.market.connect(ctx.jobCreator).agree(nextDealId(), terms)).to.be.revertedWithCustomError(
        ctx.market,
        "DealMarket_ZeroAddressParty",
      );
    });

    it("reverts with DealMarket_SameParty when the job creator is the resource provider", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { resourceProvider: ctx.jobCreator.address } });
      await expect(ctx.market.connect(ctx.jobCreator).agree(nextDealId(), terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_SameParty")
        .withArgs(ctx.jobCreator.address);
    });

    it("reverts with DealMarket_NoMediators when the terms name no mediator", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { mediators: [] } });
      await expect(ctx.market.connect(ctx.jobCreator).agree(nextDealId(), terms)).to.be.revertedWithCustomError(
        ctx.market,
        "DealMarket_NoMediators",
      );
    });

    it("reverts with DealMarket_TooManyMediators when the terms name 33 mediators", async () => {
      const ctx = await setup();
      const max = await ctx.market.MAX_MEDIATORS();
      expect(max).to.equal(32n);
      const mediators = Array.from({ length: 33 }, (_, i) => ethers.getAddress(ethers.toBeHex(1000 + i, 20)));
      await expect(ctx.market.connect(ctx.jobCreator).agree(nextDealId(), makeTerms({ members: { mediators } })))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TooManyMediators")
        .withArgs(33n, 32n);
    });

    it("reverts with DealMarket_ZeroAddressMediator naming the index of a zero-address mediator", async () => {
      const ctx = await setup();
      const mediators = [ethers.getAddress(ethers.toBeHex(1000, 20)), ZeroAddress];
      await expect(ctx.market.connect(ctx.jobCreator).agree(nextDealId(), makeTerms({ members: { mediators } })))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_ZeroAddressMediator")
        .withArgs(1n);
    });

    it("creates the deal when exactly MAX_MEDIATORS mediators are named", async () => {
      const ctx = await setup();
      const mediators = Array.from({ length: 32 }, (_, i) => ethers.getAddress(ethers.toBeHex(1000 + i, 20)));
      const dealId = nextDealId();
      const terms = makeTerms({ members: { mediators } });
      const tx = await ctx.market.connect(ctx.jobCreator).agree(dealId, terms);
      await expectRecord(ctx.market, dealKeyOfTerms(dealId, terms), {
        state: AgreementState.DealNegotiating,
        agreedBy: 1,
        tx,
      });
    });

    it("reverts and creates nothing when the party has not approved the market", async () => {
      const ctx = await setup();
      await ctx.token.connect(ctx.jobCreator).approve(await ctx.market.getAddress(), 0n);
      const dealId = nextDealId();
      await expect(ctx.market.connect(ctx.jobCreator).agree(dealId, makeTerms())).to.be.revertedWithCustomError(
        ctx.token,
        "ERC20InsufficientAllowance",
      );
      expect((await ctx.market.getDeal(dealKeyOfTerms(dealId, makeTerms()))).updatedAt).to.equal(0n);
    });

    describe("when the caller is the job creator", () => {
      it("stores the deal under keccak256(dealId, jobCreator, resourceProvider) in DealNegotiating, agreedBy = 1", async () => {
        const ctx = await setup();
        const dealId = nextDealId();
        const key = dealKeyOf(dealId, ctx.jobCreator.address, ctx.resourceProvider.address);
        expect(await ctx.market.dealKey(dealId, ctx.jobCreator.address, ctx.resourceProvider.address)).to.equal(key);
        const tx = await ctx.market.connect(ctx.jobCreator).agree(dealId, makeTerms());
        await expectRecord(ctx.market, key, { state: AgreementState.DealNegotiating, agreedBy: 1, tx });
      });

      it("emits DealCreated(dealKey, …, dealId, …), PartyAgreed(dealKey) and DealStateChange(dealKey, 0)", async () => {
        const ctx = await setup();
        const dealId = nextDealId();
        const terms = makeTerms();
        const key = dealKeyOfTerms(dealId, terms);
        const tx = await ctx.market.connect(ctx.jobCreator).agree(dealId, terms);
        await expectDealCreated(ctx.market, tx, dealId, terms);
        await expect(tx).to.emit(ctx.market, "PartyAgreed").withArgs(key, ctx.jobCreator.address);
        await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(key, AgreementState.DealNegotiating);
      });

      it("escrows the payment collateral and the judge-results timeout collateral", async () => {
        const ctx = await setup();
        const dealId = nextDealId();
        const terms = makeTerms();
        const { paymentCollateral } = terms.pricing;
        const { judgeResultsCollateral } = terms.timeouts;
        const tx = await ctx.market.connect(ctx.jobCreator).agree(dealId, terms);
        await expectDeltas(tx, ctx, {
          jobCreator: -(paymentCollateral + judgeResultsCollateral),
          market: paymentCollateral + judgeResultsCollateral,
        });
        await expectPayments(ctx.market, tx, dealKeyOfTerms(dealId, terms), [
          [ctx.jobCreator.address, paymentCollateral, Reason.PaymentCollateral, Dir.PaidIn],
          [ctx.jobCreator.address, judgeResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        ]);
      });
    });

    describe("when the caller is the resource provider", () => {
      it("stores the deal with agreedBy = 2 and escrows the submit-results timeout collateral", async () => {
        const ctx = await setup();
        const dealId = nextDealId();
        const terms = makeTerms();
        const { submitResultsCollateral } = terms.timeouts;
        const key = dealKeyOfTerms(dealId, terms);
        const tx = await ctx.market.connect(ctx.resourceProvider).agree(dealId, terms);
        await expectRecord(ctx.market, key, { state: AgreementState.DealNegotiating, agreedBy: 2, tx });
        await expect(tx).to.emit(ctx.market, "PartyAgreed").withArgs(key, ctx.resourceProvider.address);
        await expectDealCreated(ctx.market, tx, dealId, terms);
        await expectDeltas(tx, ctx, { resourceProvider: -submitResultsCollateral, market: submitResultsCollateral });
        await expectPayments(ctx.market, tx, key, [
          [ctx.resourceProvider.address, submitResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        ]);
      });
    });

    it("moves no tokens and emits no Payment when the caller's collateral is zero", async () => {
      const ctx = await setup();
      const terms = makeTerms({
        pricing: { paymentCollateral: 0n },
        timeouts: { judgeResultsCollateral: 0n, submitResultsCollateral: 0n },
      });
      for (const caller of [ctx.jobCreator, ctx.resourceProvider]) {
        const dealId = nextDealId();
        const tx = await ctx.market.connect(caller).agree(dealId, terms);
        await expect(tx).not.to.emit(ctx.market, "Payment");
        await expectDeltas(tx, ctx, {});
      }
    });

    it("lets an ERC-1271 contract wallet agree as a party and pulls from the wallet", async () => {
      const ctx = await setup();
      const wallet = await ethers.deployContract("ERC1271WalletMock", [ctx.jobCreator.address]);
      const walletAddress = await wallet.getAddress();
      const marketAddress = await ctx.market.getAddress();
      await ctx.token.connect(ctx.deployer).mint(walletAddress, 10n ** 9n);
      await wallet
        .connect(ctx.jobCreator)
        .execute(
          await ctx.token.getAddress(),
          ctx.token.interface.encodeFunctionData("approve", [marketAddress, 10n ** 9n]),
        );
      const terms = makeTerms({ members: { jobCreator: walletAddress } });
      const dealId = nextDealId();
      const escrow = terms.pricing.paymentCollateral + terms.timeouts.judgeResultsCollateral;
      const tx = await wallet
        .connect(ctx.jobCreator)
        .execute(marketAddress, ctx.market.interface.encodeFunctionData("agree", [dealId, terms]));
      await expect(tx).to.changeTokenBalances(ctx.token, [wallet, ctx.market], [-escrow, escrow]);
      const key = dealKeyOf(dealId, walletAddress, ctx.resourceProvider.address);
      await expect(tx).to.emit(ctx.market, "PartyAgreed").withArgs(key, walletAddress);
      const second = await ctx.market.connect(ctx.resourceProvider).agree(dealId, terms);
      await expectRecord(ctx.market, key, { state: AgreementState.DealAgreed, agreedBy: 3, tx: second });
    });
  });

  describe("given the deal exists", () => {
    it("reverts with DealMarket_InvalidState when the deal is already agreed", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      await expect(ctx.market.connect(ctx.jobCreator).agree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, AgreementState.DealAgreed, AgreementState.DealNegotiating);
    });

    it("reverts with DealMarket_InvalidState when the deal timed out in agreement", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutAgree);
      await expect(ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, AgreementState.TimeoutAgree, AgreementState.DealNegotiating);
    });

    describe("when a term differs from the first agreement", () => {
      const base = makeTermsLazy();
      for (const [field] of termMutations(base(), ZeroAddress)) {
        it(`reverts with DealMarket_TermsMismatch when ${field} differs`, async () => {
          const ctx = await setup();
          const deal = await createDeal(ctx, AgreementState.DealNegotiating);
          const mutated = termMutations(deal.terms, ctx.stranger.address).find(([f]) => f === field)![1];
          await expect(ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, mutated))
            .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
            .withArgs(deal.dealKey);
        });
      }

      it("creates a separate deal, under another key, when the parties are swapped (not a mismatch)", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.DealNegotiating);
        const swapped = withTerms(deal.terms, {
          members: { jobCreator: ctx.resourceProvider.address, resourceProvider: ctx.jobCreator.address },
        });
        const swappedKey = dealKeyOfTerms(deal.dealId, swapped);
        expect(swappedKey).to.not.equal(deal.dealKey);
        const tx = await ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, swapped);
        await expectDealCreated(ctx.market, tx, deal.dealId, swapped);
        await expectRecord(ctx.market, swappedKey, { state: AgreementState.DealNegotiating, agreedBy: 1, tx });
        // The first deal is untouched.
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.DealNegotiating, agreedBy: 1 });
      });
    });

    it("reverts with DealMarket_AlreadyAgreed when the caller has already agreed", async () => {
      const ctx = await setup();
      for (const first of ["jobCreator", "resourceProvider"] as const) {
        const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: first });
        await expect(ctx.market.connect(ctx[first]).agree(deal.dealId, deal.terms))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_AlreadyAgreed")
          .withArgs(deal.dealKey, ctx[first].address);
      }
    });

    it("reverts with DealMarket_DeadlinePassed one second after the agree deadline", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating);
      const deadline = (await ctx.market.getDeal(deal.dealKey)).updatedAt + deal.terms.timeouts.agree;
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
        .withArgs(deal.dealKey, deadline);
    });

    it("agrees at exactly the agree deadline", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating);
      const deadline = (await ctx.market.getDeal(deal.dealKey)).updatedAt + deal.terms.timeouts.agree;
      await time.setNextBlockTimestamp(deadline);
      const tx = await ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, deal.terms);
      await expectRecord(ctx.market, deal.dealKey, {
        state: AgreementState.DealAgreed,
        agreedBy: 3,
        updatedAt: deadline,
      });
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.DealAgreed);
    });

    describe("when the job creator agreed first", () => {
      it("moves the deal to DealAgreed and escrows only the provider's collateral", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: "jobCreator" });
        const { submitResultsCollateral } = deal.terms.timeouts;
        const tx = await ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, deal.terms);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
        await expect(tx).to.emit(ctx.market, "PartyAgreed").withArgs(deal.dealKey, ctx.resourceProvider.address);
        await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.DealAgreed);
        await expect(tx).not.to.emit(ctx.market, "DealCreated");
        await expectDeltas(tx, ctx, { resourceProvider: -submitResultsCollateral, market: submitResultsCollateral });
        await expectPayments(ctx.market, tx, deal.dealKey, [
          [ctx.resourceProvider.address, submitResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        ]);
      });
    });

    describe("when the resource provider agreed first", () => {
      it("moves the deal to DealAgreed and escrows only the job creator's collateral", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: "resourceProvider" });
        const { paymentCollateral } = deal.terms.pricing;
        const { judgeResultsCollateral } = deal.terms.timeouts;
        const tx = await ctx.market.connect(ctx.jobCreator).agree(deal.dealId, deal.terms);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
        await expect(tx).to.emit(ctx.market, "PartyAgreed").withArgs(deal.dealKey, ctx.jobCreator.address);
        await expect(tx).not.to.emit(ctx.market, "DealCreated");
        await expectDeltas(tx, ctx, {
          jobCreator: -(paymentCollateral + judgeResultsCollateral),
          market: paymentCollateral + judgeResultsCollateral,
        });
        await expectPayments(ctx.market, tx, deal.dealKey, [
          [ctx.jobCreator.address, paymentCollateral, Reason.PaymentCollateral, Dir.PaidIn],
          [ctx.jobCreator.address, judgeResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        ]);
      });
    });
  });
});

/** Terms with placeholder members, only to enumerate the mutation names at load time. */
function makeTermsLazy() {
  const placeholder = ethers.getAddress(ethers.toBeHex(1, 20));
  return () =>
    makeTerms({
      members: {
        jobCreator: placeholder,
        resourceProvider: placeholder,
        solver: placeholder,
        mediators: [placeholder, ZeroAddress, placeholder],
      },
    });
}
