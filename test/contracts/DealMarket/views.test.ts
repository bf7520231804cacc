import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress, ZeroHash, keccak256 } from "ethers";
import fc from "fast-check";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  addResultFor,
  agreementDigestOffchain,
  checkResultFor,
  createDeal,
  deployMarketFixture,
  hashTermsOffchain,
  nextDealId,
  type DealTerms,
} from "../../helpers/fixtures";

/** The documented commitment: the high 200 bits (25 bytes) of keccak256(abi.encode(termsHash, count, index)). */
function commitmentOf(terms: DealTerms, instructionCount: bigint, mediatorIndex: number): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint64", "uint8"],
    [hashTermsOffchain(terms), instructionCount, mediatorIndex],
  );
  return ethers.dataSlice(keccak256(encoded), 0, 25);
}

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

  describe("getDeal", () => {
    it("returns an all-zero record for an unknown deal", async () => {
      const ctx = await setup();
      const record = await ctx.market.getDeal(nextDealId());
      expect([record.state, record.agreedBy, record.updatedAt]).to.deep.equal([0n, 0n, 0n]);
      expect(record.commitment).to.equal(ethers.dataSlice(ZeroHash, 0, 25));
    });

    it("returns the state, agreedBy, updatedAt and the commitment re-fixed at each step", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      let record = await ctx.market.getDeal(deal.dealId);
      expect(record.state).to.equal(BigInt(AgreementState.DealAgreed));
      expect(record.agreedBy).to.equal(3n);
      expect(record.updatedAt).to.equal(BigInt((await ethers.provider.getBlock(deal.receipt!.blockNumber))!.timestamp));
      expect(record.commitment).to.equal(commitmentOf(deal.terms, 0n, 0));

      await addResultFor(ctx, deal, DEFAULT_INSTRUCTION_COUNT);
      record = await ctx.market.getDeal(deal.dealId);
      expect(record.state).to.equal(BigInt(AgreementState.ResultsSubmitted));
      expect(record.commitment).to.equal(commitmentOf(deal.terms, DEFAULT_INSTRUCTION_COUNT, 0));

      await checkResultFor(ctx, deal);
      record = await ctx.market.getDeal(deal.dealId);
      expect(record.commitment).to.equal(commitmentOf(deal.terms, DEFAULT_INSTRUCTION_COUNT, deal.mediatorIndex));
    });
  });

  describe("getDealState", () => {
    it("reverts with DealMarket_DealNotFound for an unknown deal", async () => {
      const ctx = await setup();
      const dealId = nextDealId();
      await expect(ctx.market.getDealState(dealId))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
        .withArgs(dealId);
    });

    it("returns the deal's state", async () => {
      const ctx = await setup();
      for (const state of [
        AgreementState.DealNegotiating,
        AgreementState.ResultsChecked,
        AgreementState.TimeoutAgree,
      ]) {
        const deal = await createDeal(ctx, state);
        expect(await ctx.market.getDealState(deal.dealId)).to.equal(BigInt(state));
      }
    });
  });

  describe("EIP-712 hashing", () => {
    const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => ethers.getAddress(ethers.hexlify(b)));
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
