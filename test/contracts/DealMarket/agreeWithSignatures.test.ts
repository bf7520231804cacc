import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder, ZeroAddress, ZeroHash } from "ethers";

import {
  AGREEMENT_TYPES,
  AgreementState,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  agreementDomain,
  createDeal,
  dealKeyOfTerms,
  deployMarketFixture,
  makeTerms,
  nextDealId,
  signAgreement,
  withTerms,
  type DealTerms,
  type MarketFixture,
} from "../../helpers/fixtures";
import { expectDealCreated, expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";
import type { AccordToken } from "../../../typechain-types";

type Ctx = MarketFixture<AccordToken>;

describe("DealMarket.agreeWithSignatures", () => {
  const setup = () => loadFixture(deployMarketFixture);

  /** A fresh deal ID, terms, a deadline an hour ahead and both parties' valid signatures. */
  async function signed(ctx: Ctx, terms: DealTerms = makeTerms()) {
    const dealId = nextDealId();
    const deadline = BigInt(await time.latest()) + 3_600n;
    const jcSig = await signAgreement(ctx.jobCreator, ctx.market, dealId, terms, deadline);
    const rpSig = await signAgreement(ctx.resourceProvider, ctx.market, dealId, terms, deadline);
    return { dealId, key: dealKeyOfTerms(dealId, terms), terms, deadline, jcSig, rpSig };
  }

  describe("when the deadline has passed", () => {
    it("reverts with DealMarket_SignatureExpired one second after the deadline", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await time.setNextBlockTimestamp(s.deadline + 1n);
      await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_SignatureExpired")
        .withArgs(s.deadline);
    });

    it("agrees at exactly the deadline", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await time.setNextBlockTimestamp(s.deadline);
      const tx = await ctx.market
        .connect(ctx.solver)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
      await expectRecord(ctx.market, s.key, {
        state: AgreementState.DealAgreed,
        agreedBy: 3,
        updatedAt: s.deadline,
      });
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(s.key, AgreementState.DealAgreed);
    });
  });

  it("reverts with DealMarket_ZeroDealId when the deal ID is zero", async () => {
    const ctx = await setup();
    const terms = makeTerms();
    const deadline = BigInt(await time.latest()) + 3_600n;
    const jcSig = await signAgreement(ctx.jobCreator, ctx.market, ZeroHash, terms, deadline);
    const rpSig = await signAgreement(ctx.resourceProvider, ctx.market, ZeroHash, terms, deadline);
    await expect(
      ctx.market.connect(ctx.solver).agreeWithSignatures(ZeroHash, terms, deadline, jcSig, rpSig),
    ).to.be.revertedWithCustomError(ctx.market, "DealMarket_ZeroDealId");
  });

  describe("when the deal already exists", () => {
    it("reverts with DealMarket_DealExists when the same signed agreement is replayed", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
      await expect(
        ctx.market.connect(ctx.stranger).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealExists")
        .withArgs(s.key);
    });

    it("reverts with DealMarket_DealExists when a two-step deal with that ID is negotiating", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await ctx.market.connect(ctx.jobCreator).agree(s.dealId, s.terms);
      await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealExists")
        .withArgs(s.key);
    });
  });

  it("agrees under its own key when a squatter already holds a record with the same deal ID", async () => {
    const ctx = await setup();
    const s = await signed(ctx);
    const squatterTerms = withTerms(s.terms, { members: { jobCreator: ctx.stranger.address } });
    await ctx.market.connect(ctx.stranger).agree(s.dealId, squatterTerms);
    const tx = await ctx.market
      .connect(ctx.solver)
      .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
    await expectRecord(ctx.market, s.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    await expectRecord(ctx.market, dealKeyOfTerms(s.dealId, squatterTerms), {
      state: AgreementState.DealNegotiating,
      agreedBy: 1,
    });
  });

  describe("when the terms are invalid", () => {
    const cases: Array<[string, (ctx: Ctx) => DealTerms, string, (ctx: Ctx) => unknown[]]> = [
      [
        "the job creator is the zero address",
        () => makeTerms({ members: { jobCreator: ZeroAddress } }),
        "DealMarket_ZeroAddressParty",
        () => [],
      ],
      [
        "the provider is the zero address",
        () => makeTerms({ members: { resourceProvider: ZeroAddress } }),
        "DealMarket_ZeroAddressParty",
        () => [],
      ],
      [
        "the job creator is the provider",
        (ctx) => makeTerms({ members: { resourceProvider: ctx.jobCreator.address } }),
        "DealMarket_SameParty",
        (ctx) => [ctx.jobCreator.address],
      ],
      ["no mediator is named", () => makeTerms({ members: { mediators: [] } }), "DealMarket_NoMediators", () => []],
      [
        "33 mediators are named",
        () =>
          makeTerms({
            members: { mediators: Array.from({ length: 33 }, (_, i) => ethers.getAddress(ethers.toBeHex(77 + i, 20))) },
          }),
        "DealMarket_TooManyMediators",
        () => [33n, 32n],
      ],
      [
        "the first mediator is the zero address",
        () => makeTerms({ members: { mediators: [ZeroAddress] } }),
        "DealMarket_ZeroAddressMediator",
        () => [0n],
      ],
    ];
    for (const [name, termsOf, error, argsOf] of cases) {
      it(`reverts with ${error} when ${name}`, async () => {
        const ctx = await setup();
        const s = await signed(ctx, termsOf(ctx));
        const call = ctx.market
          .connect(ctx.solver)
          .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
        const args = argsOf(ctx);
        if (args.length)
          await expect(call)
            .to.be.revertedWithCustomError(ctx.market, error)
            .withArgs(...args);
        else await expect(call).to.be.revertedWithCustomError(ctx.market, error);
      });
    }
  });

  describe("when the job creator's signature is not valid", () => {
    const badSignatures: Array<[string, (ctx: Ctx, s: Awaited<ReturnType<typeof signed>>) => Promise<string>]> = [
      [
        "signed by the provider",
        (ctx, s) => signAgreement(ctx.resourceProvider, ctx.market, s.dealId, s.terms, s.deadline),
      ],
      ["signed by the solver", (ctx, s) => signAgreement(ctx.solver, ctx.market, s.dealId, s.terms, s.deadline)],
      [
        "signed over other terms",
        (ctx, s) =>
          signAgreement(
            ctx.jobCreator,
            ctx.market,
            s.dealId,
            withTerms(s.terms, { pricing: { mediationFee: 1n } }),
            s.deadline,
          ),
      ],
      [
        "signed over another deal ID",
        (ctx, s) => signAgreement(ctx.jobCreator, ctx.market, nextDealId(), s.terms, s.deadline),
      ],
      [
        "signed with another deadline",
        (ctx, s) => signAgreement(ctx.jobCreator, ctx.market, s.dealId, s.terms, s.deadline + 1n),
      ],
      [
        "signed for another market",
        (ctx, s) => signAgreement(ctx.jobCreator, ctx.registry, s.dealId, s.terms, s.deadline),
      ],
      ["signed for another chain", (ctx, s) => signWithDomain(ctx, s, { chainId: 1n })],
      ["signed with another domain name", (ctx, s) => signWithDomain(ctx, s, { name: "Accord" })],
      ["signed with another domain version", (ctx, s) => signWithDomain(ctx, s, { version: "2" })],
      ["empty", () => Promise.resolve("0x")],
      ["truncated to 64 bytes", (_ctx, s) => Promise.resolve(ethers.dataSlice(s.jcSig, 0, 64))],
      ["65 bytes of garbage", () => Promise.resolve(ethers.hexlify(new Uint8Array(65).fill(7)))],
    ];
    for (const [name, make] of badSignatures) {
      it(`reverts with DealMarket_InvalidSignature(jobCreator) when it is ${name}`, async () => {
        const ctx = await setup();
        const s = await signed(ctx);
        const bad = await make(ctx, s);
        await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, bad, s.rpSig))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
          .withArgs(ctx.jobCreator.address);
      });
    }
  });

  describe("when the resource provider's signature is not valid", () => {
    it("reverts with DealMarket_InvalidSignature(resourceProvider) when the job creator signed for it", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.jcSig))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.resourceProvider.address);
    });

    it("reverts with DealMarket_InvalidSignature(resourceProvider) when it signed other terms", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      const other = withTerms(s.terms, { timeouts: { agreeCollateral: 0n } });
      const bad = await signAgreement(ctx.resourceProvider, ctx.market, s.dealId, other, s.deadline);
      await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, bad))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.resourceProvider.address);
    });
  });

  it("reverts with DealMarket_InvalidSignature(jobCreator) when the signatures are swapped", async () => {
    const ctx = await setup();
    const s = await signed(ctx);
    await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(s.dealId, s.terms, s.deadline, s.rpSig, s.jcSig))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
      .withArgs(ctx.jobCreator.address);
  });

  describe("when a party submits the transaction itself", () => {
    it("accepts an empty signature from the submitting job creator", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      const tx = await ctx.market
        .connect(ctx.jobCreator)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, "0x", s.rpSig);
      await expectRecord(ctx.market, s.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    });

    it("accepts an empty signature from the submitting provider", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      const tx = await ctx.market
        .connect(ctx.resourceProvider)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, "0x");
      await expectRecord(ctx.market, s.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    });

    it("still requires the other party's valid signature", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      await expect(ctx.market.connect(ctx.jobCreator).agreeWithSignatures(s.dealId, s.terms, s.deadline, "0x", "0x"))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.resourceProvider.address);
      await expect(
        ctx.market.connect(ctx.resourceProvider).agreeWithSignatures(s.dealId, s.terms, s.deadline, "0x", "0x"),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(ctx.jobCreator.address);
    });
  });

  describe("when a party is an ERC-1271 contract wallet", () => {
    /** A wallet owned by the job creator, funded, approving the market, named as the terms' job creator. */
    async function walletDeal(ctx: Ctx) {
      const wallet = await ethers.deployContract("ERC1271WalletMock", [ctx.jobCreator.address]);
      const walletAddress = await wallet.getAddress();
      await ctx.token.connect(ctx.deployer).mint(walletAddress, 10n ** 9n);
      await wallet
        .connect(ctx.jobCreator)
        .execute(
          await ctx.token.getAddress(),
          ctx.token.interface.encodeFunctionData("approve", [await ctx.market.getAddress(), 10n ** 9n]),
        );
      const terms = makeTerms({ members: { jobCreator: walletAddress } });
      return { wallet, walletAddress, ...(await signed(ctx, terms)) };
    }

    it("agrees when the wallet's owner signed, pulling the wallet's collateral", async () => {
      const ctx = await setup();
      const w = await walletDeal(ctx);
      // The owner's EIP-712 signature is over the same digest the wallet is asked about.
      const tx = await ctx.market
        .connect(ctx.solver)
        .agreeWithSignatures(w.dealId, w.terms, w.deadline, w.jcSig, w.rpSig);
      const jcEscrow = w.terms.pricing.paymentCollateral + w.terms.timeouts.judgeResultsCollateral;
      const rpEscrow = w.terms.timeouts.submitResultsCollateral;
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [w.wallet, ctx.resourceProvider, ctx.jobCreator, ctx.market],
        [-jcEscrow, -rpEscrow, 0n, jcEscrow + rpEscrow],
      );
      await expectRecord(ctx.market, w.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    });

    it("reverts with DealMarket_InvalidSignature(wallet) when the wallet rejects the signature", async () => {
      const ctx = await setup();
      const w = await walletDeal(ctx);
      await w.wallet.connect(ctx.jobCreator).setRejectSignatures(true);
      await expect(ctx.market.connect(ctx.solver).agreeWithSignatures(w.dealId, w.terms, w.deadline, w.jcSig, w.rpSig))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(w.walletAddress);
    });

    it("reverts with DealMarket_InvalidSignature(wallet) when someone other than the owner signed", async () => {
      const ctx = await setup();
      const w = await walletDeal(ctx);
      const strangerSig = await signAgreement(ctx.stranger, ctx.market, w.dealId, w.terms, w.deadline);
      await expect(
        ctx.market.connect(ctx.solver).agreeWithSignatures(w.dealId, w.terms, w.deadline, strangerSig, w.rpSig),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidSignature")
        .withArgs(w.walletAddress);
    });

    it("agrees when the wallet submits the agreement itself, without its own signature", async () => {
      const ctx = await setup();
      const w = await walletDeal(ctx);
      await w.wallet.connect(ctx.jobCreator).setRejectSignatures(true);
      const data = ctx.market.interface.encodeFunctionData("agreeWithSignatures", [
        w.dealId,
        w.terms,
        w.deadline,
        "0x",
        w.rpSig,
      ]);
      const tx = await w.wallet.connect(ctx.jobCreator).execute(await ctx.market.getAddress(), data);
      await expectRecord(ctx.market, w.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    });
  });

  describe("when both signatures are valid", () => {
    for (const who of ["solver", "stranger"] as const) {
      it(`accepts the submission by the ${who}`, async () => {
        const ctx = await setup();
        const s = await signed(ctx);
        const tx = await ctx.market
          .connect(ctx[who])
          .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
        await expectRecord(ctx.market, s.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
      });
    }

    it("emits DealCreated and DealStateChange(DealAgreed), and no PartyAgreed", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      const tx = await ctx.market
        .connect(ctx.solver)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
      await expectDealCreated(ctx.market, tx, s.dealId, s.terms);
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(s.key, AgreementState.DealAgreed);
      await expect(tx).not.to.emit(ctx.market, "PartyAgreed");
    });

    it("escrows both parties' collateral", async () => {
      const ctx = await setup();
      const s = await signed(ctx);
      const { paymentCollateral } = s.terms.pricing;
      const { judgeResultsCollateral, submitResultsCollateral } = s.terms.timeouts;
      const tx = await ctx.market
        .connect(ctx.solver)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
      await expectDeltas(tx, ctx, {
        jobCreator: -(paymentCollateral + judgeResultsCollateral),
        resourceProvider: -submitResultsCollateral,
        market: paymentCollateral + judgeResultsCollateral + submitResultsCollateral,
      });
      await expectPayments(ctx.market, tx, s.key, [
        [ctx.jobCreator.address, paymentCollateral, Reason.PaymentCollateral, Dir.PaidIn],
        [ctx.jobCreator.address, judgeResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
        [ctx.resourceProvider.address, submitResultsCollateral, Reason.TimeoutCollateral, Dir.PaidIn],
      ]);
    });

    it("moves no tokens and emits no Payment when every collateral is zero", async () => {
      const ctx = await setup();
      const terms = makeTerms({
        pricing: { paymentCollateral: 0n },
        timeouts: { judgeResultsCollateral: 0n, submitResultsCollateral: 0n },
      });
      const s = await signed(ctx, terms);
      const tx = await ctx.market
        .connect(ctx.solver)
        .agreeWithSignatures(s.dealId, s.terms, s.deadline, s.jcSig, s.rpSig);
      await expect(tx).not.to.emit(ctx.market, "Payment");
      await expectDeltas(tx, ctx, {});
      await expectRecord(ctx.market, s.key, { state: AgreementState.DealAgreed, agreedBy: 3, tx });
    });

    it("leaves a deal that the next steps accept (same commitment as the two-step path)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsAccepted, { via: "signatures" });
      expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.ResultsAccepted);
    });
  });
});

/** Signs the agreement as the job creator with one domain field changed. */
async function signWithDomain(
  ctx: Ctx,
  s: { dealId: string; terms: DealTerms; deadline: bigint },
  change: Partial<{ name: string; version: string; chainId: bigint }>,
): Promise<string> {
  const domain = { ...(await agreementDomain(ctx.market)), ...change };
  // Sign the digest's typed data directly (the node refuses a foreign chainId through eth_signTypedData).
  const digest = TypedDataEncoder.hash(domain, AGREEMENT_TYPES, {
    dealId: s.dealId,
    terms: s.terms,
    deadline: s.deadline,
  });
  expect(digest).to.not.equal(await ctx.market.agreementDigest(s.dealId, s.terms, s.deadline));
  return ctx.jobCreator.signTypedData(domain, AGREEMENT_TYPES, {
    dealId: s.dealId,
    terms: s.terms,
    deadline: s.deadline,
  });
}
