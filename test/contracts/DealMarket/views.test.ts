import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress, ZeroHash, keccak256 } from "ethers";
import fc from "fast-check";

import {
  AgreementState,
  BLOCKHASH_WINDOW,
  DEFAULT_INSTRUCTION_COUNT,
  addResultFor,
  agreementDigestOffchain,
  checkResultFor,
  createDeal,
  dealKeyOf,
  dealKeyOfTerms,
  deployMarketFixture,
  drawIndexOf,
  drawMediatorFor,
  hashTermsOffchain,
  makeTerms,
  mediatorOf,
  nextDealId,
  passDeadline,
  withTerms,
  type DealTerms,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDraw, termMutations } from "../../helpers/assertions";

/** The documented commitment: the high 200 bits (25 bytes) of keccak256(abi.encode(termsHash, instructionCount)). */
function commitmentOf(terms: DealTerms, instructionCount: bigint): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint64"],
    [hashTermsOffchain(terms), instructionCount],
  );
  return ethers.dataSlice(keccak256(encoded), 0, 25);
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => ethers.getAddress(ethers.hexlify(b)));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b));

describe("DealMarket constructor and views", () => {
  const setup = () => loadFixture(deployMarketFixture);

  describe("constructor", () => {
    it("reverts with DealMarket_ZeroAddressToken when the token is the zero address", async () => {
      const factory = await ethers.getContractFactory("DealMarket");
      await expect(factory.deploy(ZeroAddress)).to.be.revertedWithCustomError(factory, "DealMarket_ZeroAddressToken");
    });

    it("exposes the token, MAX_MEDIATORS and the EIP-712 domain", async () => {
      const ctx = await setup();
      expect(await ctx.market.token()).to.equal(await ctx.token.getAddress());
      expect(await ctx.market.MAX_MEDIATORS()).to.equal(32n);
      const domain = await ctx.market.eip712Domain();
      expect(domain.name).to.equal("Accord DealMarket");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(domain.verifyingContract).to.equal(await ctx.market.getAddress());
    });
  });

  describe("dealKey", () => {
    it("equals keccak256(abi.encode(dealId, jobCreator, resourceProvider)) for any inputs", async () => {
      const ctx = await setup();
      await fc.assert(
        fc.asyncProperty(bytes32, address, address, async (id, jc, rp) => {
          expect(await ctx.market.dealKey(id, jc, rp)).to.equal(dealKeyOf(id, jc, rp));
        }),
        { numRuns: 40 },
      );
    });

    it("depends on the parties' roles: the same two accounts swapped give another key", async () => {
      const ctx = await setup();
      const id = nextDealId();
      const a = ctx.jobCreator.address;
      const b = ctx.resourceProvider.address;
      expect(await ctx.market.dealKey(id, a, b)).to.not.equal(await ctx.market.dealKey(id, b, a));
      expect(await ctx.market.dealKey(id, a, b)).to.not.equal(await ctx.market.dealKey(nextDealId(), a, b));
    });
  });

  describe("getDeal", () => {
    it("returns an all-zero record for an unknown key", async () => {
      const ctx = await setup();
      const record = await ctx.market.getDeal(dealKeyOfTerms(nextDealId(), makeTerms()));
      expect([record.state, record.agreedBy, record.updatedAt]).to.deep.equal([0n, 0n, 0n]);
      expect(record.commitment).to.equal(ethers.dataSlice(ZeroHash, 0, 25));
    });

    it("returns nothing under the deal ID itself: records are keyed by ID and parties", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      expect((await ctx.market.getDeal(deal.dealId)).updatedAt).to.equal(0n);
      expect((await ctx.market.getDeal(deal.dealKey)).updatedAt).to.not.equal(0n);
    });

    it("returns the state, agreedBy, updatedAt and the commitment, re-fixed when results are added", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      let record = await ctx.market.getDeal(deal.dealKey);
      expect(record.state).to.equal(BigInt(AgreementState.DealAgreed));
      expect(record.agreedBy).to.equal(3n);
      expect(record.updatedAt).to.equal(BigInt((await ethers.provider.getBlock(deal.receipt!.blockNumber))!.timestamp));
      expect(record.commitment).to.equal(commitmentOf(deal.terms, 0n));

      await addResultFor(ctx, deal, DEFAULT_INSTRUCTION_COUNT);
      record = await ctx.market.getDeal(deal.dealKey);
      expect(record.state).to.equal(BigInt(AgreementState.ResultsSubmitted));
      expect(record.commitment).to.equal(commitmentOf(deal.terms, DEFAULT_INSTRUCTION_COUNT));

      // The draw is kept apart from the record: checkResult leaves the commitment as it was.
      await checkResultFor(ctx, deal);
      record = await ctx.market.getDeal(deal.dealKey);
      expect(record.state).to.equal(BigInt(AgreementState.ResultsChecked));
      expect(record.commitment).to.equal(commitmentOf(deal.terms, DEFAULT_INSTRUCTION_COUNT));
    });
  });

  describe("getDealState", () => {
    it("reverts with DealMarket_DealNotFound(dealKey) for an unknown key", async () => {
      const ctx = await setup();
      const key = dealKeyOfTerms(nextDealId(), makeTerms());
      await expect(ctx.market.getDealState(key))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
        .withArgs(key);
    });

    it("returns the deal's state", async () => {
      const ctx = await setup();
      for (const state of [
        AgreementState.DealNegotiating,
        AgreementState.ResultsChecked,
        AgreementState.TimeoutAgree,
      ]) {
        const deal = await createDeal(ctx, state);
        expect(await ctx.market.getDealState(deal.dealKey)).to.equal(BigInt(state));
      }
    });
  });

  describe("getMediationDraw", () => {
    it("is all zero for an unknown key and for a deal not under mediation", async () => {
      const ctx = await setup();
      await expectDraw(ctx.market, dealKeyOfTerms(nextDealId(), makeTerms()), {
        drawBlock: 0,
        drawn: false,
        mediatorIndex: 0,
      });
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });

    it("follows the draw: requested at checkResult, fixed by drawMediator, renewed after 256 blocks, cleared at the end", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: deal.drawBlock, drawn: false, mediatorIndex: 0 });

      const other = await createDeal(ctx, AgreementState.ResultsChecked);
      await drawMediatorFor(ctx, other);
      await expectDraw(ctx.market, other.dealKey, {
        drawBlock: other.drawBlock,
        drawn: true,
        mediatorIndex: other.mediatorIndex,
      });

      await mine(BLOCKHASH_WINDOW);
      const redraw = await drawMediatorFor(ctx, deal);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: redraw.blockNumber, drawn: false, mediatorIndex: 0 });

      await ctx.market
        .connect(await mediatorOf(other))
        .mediationRejectResult(other.dealId, other.terms, other.instructionCount);
      await expectDraw(ctx.market, other.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      await ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, deal.terms, deal.instructionCount);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });
  });

  describe("drawnMediator", () => {
    it("reverts with DealMarket_DealNotFound(dealKey) for an unknown deal or terms naming other parties", async () => {
      const ctx = await setup();
      const dealId = nextDealId();
      const terms = makeTerms();
      await expect(ctx.market.drawnMediator(dealId, terms, DEFAULT_INSTRUCTION_COUNT))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
        .withArgs(dealKeyOfTerms(dealId, terms));
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const swapped = withTerms(deal.terms, {
        members: { jobCreator: ctx.resourceProvider.address, resourceProvider: ctx.jobCreator.address },
      });
      await expect(ctx.market.drawnMediator(deal.dealId, swapped, deal.instructionCount))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
        .withArgs(dealKeyOfTerms(deal.dealId, swapped));
    });

    for (const state of [AgreementState.ResultsSubmitted, AgreementState.MediationAccepted]) {
      it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, state);
        await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, deal.instructionCount))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
          .withArgs(deal.dealKey, state, AgreementState.ResultsChecked);
      });
    }

    it("reverts with DealMarket_TermsMismatch(dealKey) when any term or the instruction count differs", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine();
      for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
        await expect(ctx.market.drawnMediator(deal.dealId, mutated, deal.instructionCount), field)
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
          .withArgs(deal.dealKey);
      }
      await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, deal.instructionCount + 1n))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    });

    it("reverts with DealMarket_DrawPending(dealKey, drawBlock) while the draw block is the latest", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      expect(await ethers.provider.getBlockNumber()).to.equal(deal.drawBlock);
      await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, deal.instructionCount))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawPending")
        .withArgs(deal.dealKey, deal.drawBlock);
    });

    it("returns the mediator the draw block's hash draws, from the next block to exactly drawBlock + 256", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const drawBlockHash = (await ethers.provider.getBlock(deal.drawBlock))!.hash!;
      const index = drawIndexOf(drawBlockHash, deal.dealKey, deal.terms.members.mediators.length);
      expect(index).to.equal(deal.mediatorIndex);
      for (const blocks of [1, BLOCKHASH_WINDOW - 1]) {
        await mine(blocks);
        const [mediator, mediatorIndex] = await ctx.market.drawnMediator(
          deal.dealId,
          deal.terms,
          deal.instructionCount,
        );
        expect([mediator, Number(mediatorIndex)]).to.deep.equal([deal.terms.members.mediators[index], index]);
      }
      expect(await ethers.provider.getBlockNumber()).to.equal(deal.drawBlock + BLOCKHASH_WINDOW);
    });

    it("reverts with DealMarket_DrawExpired(dealKey, drawBlock) after 256 blocks when nobody fixed the draw", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW + 1);
      await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, deal.instructionCount))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawExpired")
        .withArgs(deal.dealKey, deal.drawBlock);
    });

    it("returns the fixed draw at any time once drawMediator fixed it", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await drawMediatorFor(ctx, deal);
      await mine(3 * BLOCKHASH_WINDOW);
      const [mediator, mediatorIndex] = await ctx.market.drawnMediator(deal.dealId, deal.terms, deal.instructionCount);
      expect([mediator, Number(mediatorIndex)]).to.deep.equal([
        deal.terms.members.mediators[deal.mediatorIndex],
        deal.mediatorIndex,
      ]);
    });
  });

  describe("EIP-712 hashing", () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const u256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
    const termsArb: fc.Arbitrary<DealTerms> = fc.record({
      members: fc.record({
        jobCreator: address,
        resourceProvider: address,
        solver: address,
        mediators: fc.array(address, { maxLength: 5 }),
      }),
      pricing: fc.record({
        instructionPrice: u256,
        paymentCollateral: u256,
        resultsCollateralMultiple: u256,
        mediationFee: u256,
      }),
      timeouts: fc.record({
        agree: u64,
        submitResults: u64,
        judgeResults: u64,
        mediateResults: u64,
        agreeCollateral: u256,
        submitResultsCollateral: u256,
        judgeResultsCollateral: u256,
        mediateResultsCollateral: u256,
      }),
    });

    it("hashTerms equals the off-chain EIP-712 struct hash of DealTerms", async () => {
      const ctx = await setup();
      await fc.assert(
        fc.asyncProperty(termsArb, async (terms) => {
          expect(await ctx.market.hashTerms(terms)).to.equal(hashTermsOffchain(terms));
        }),
        { numRuns: 40 },
      );
    });

    it("agreementDigest equals the off-chain EIP-712 digest the parties sign", async () => {
      const ctx = await setup();
      await fc.assert(
        fc.asyncProperty(
          termsArb,
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          u256,
          async (terms, id, deadline) => {
            const dealId = ethers.hexlify(id);
            expect(await ctx.market.agreementDigest(dealId, terms, deadline)).to.equal(
              await agreementDigestOffchain(ctx.market, dealId, terms, deadline),
            );
          },
        ),
        { numRuns: 40 },
      );
    });
  });
});
