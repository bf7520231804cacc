import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  JobStatus,
  MAX_PRICE,
  attestationDigestOf,
  contractSet,
  escrowFixture,
  keySet,
  loadEscrowFixture,
  openJob,
  quoteOf,
} from "../../helpers/escrow";

const coder = AbiCoder.defaultAbiCoder();
const MAX_WINDOW = 30n * 24n * 3600n;

describe("JobEscrow constructor and views", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("the constructor refuses zero addresses and bad windows, and sets its configuration", async () => {
    const ctx = await setup();
    const factory = await ethers.getContractFactory("JobEscrow");
    for (const [token, registry] of [
      [ZeroAddress, ctx.registryAddress],
      [ctx.tokenAddress, ZeroAddress],
    ]) {
      await expect(
        factory.deploy(token, registry, ACCEPTANCE_TIMEOUT, ATTESTATION_WINDOW),
      ).to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_ZeroAddress");
    }
    for (const window of [0n, MAX_WINDOW + 1n]) {
      await expect(factory.deploy(ctx.tokenAddress, ctx.registryAddress, window, ATTESTATION_WINDOW))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidWindow")
        .withArgs(window, MAX_WINDOW);
      await expect(factory.deploy(ctx.tokenAddress, ctx.registryAddress, ACCEPTANCE_TIMEOUT, window))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidWindow")
        .withArgs(window, MAX_WINDOW);
    }
    await factory.deploy(ctx.tokenAddress, ctx.registryAddress, MAX_WINDOW, 1n);
    expect(await ctx.escrow.token()).to.equal(ctx.tokenAddress);
    expect(await ctx.escrow.registry()).to.equal(ctx.registryAddress);
    expect(await ctx.escrow.acceptanceTimeout()).to.equal(ACCEPTANCE_TIMEOUT);
    expect(await ctx.escrow.attestationWindow()).to.equal(ATTESTATION_WINDOW);
    expect(await ctx.escrow.MAX_ORACLES()).to.equal(16n);
    expect(await ctx.escrow.MAX_TIME_LIMIT()).to.equal(MAX_WINDOW);
    expect(await ctx.escrow.MAX_WINDOW()).to.equal(MAX_WINDOW);
    expect(await ctx.escrow.MAX_BPS()).to.equal(10_000n);
    const domain = await ctx.escrow.eip712Domain();
    expect(domain.name).to.equal("Accord JobEscrow");
    expect(domain.version).to.equal("1");
    expect(domain.chainId).to.equal(ctx.chainId);
    expect(domain.verifyingContract).to.equal(ctx.escrowAddress);
  });

  it("jobId, getJob, jobStatus, completionTime and isAttestable of unknown and open jobs", async () => {
    const ctx = await setup();
    const salt = ethers.id("s");
    expect(await ctx.escrow.jobId(ctx.stranger.address, salt)).to.equal(
      keccak256(coder.encode(["address", "bytes32"], [ctx.stranger.address, salt])),
    );
    const none = ethers.id("none");
    expect((await ctx.escrow.getJob(none)).requester).to.equal(ZeroAddress);
    expect(await ctx.escrow.jobStatus(none)).to.equal(JobStatus.None);
    expect(await ctx.escrow.completionTime(none)).to.equal(0n);
    expect(await ctx.escrow.isAttestable(none)).to.equal(false);
    const job = await openJob(ctx);
    expect(await ctx.escrow.completionTime(job.jobId)).to.equal(0n);
    expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(false);
  });

  it("hashOracleSet and attestationDigest match their off-chain definitions", async () => {
    const ctx = await setup();
    for (const set of [keySet(ctx.oracles, 3), contractSet(ctx.stranger.address)]) {
      expect(await ctx.escrow.hashOracleSet(set)).to.equal(
        keccak256(coder.encode(["address[]", "uint8", "address"], [set.signers, set.threshold, set.oracleContract])),
      );
    }
    const att = { jobId: ethers.id("j"), bps: 7_500, runSeconds: 123n };
    expect(await ctx.escrow.attestationDigest(att)).to.equal(attestationDigestOf(ctx.chainId, ctx.escrowAddress, att));
  });

  it("quote caps, rounds down and does not overflow", async () => {
    const ctx = await setup();
    const max128 = 2n ** 128n - 1n;
    const max64 = 2n ** 64n - 1n;
    for (const [maxPrice, ppm, run, bps] of [
      [MAX_PRICE, 10n ** 16n, 600n, 10_000n],
      [MAX_PRICE, 10n ** 16n, 10n ** 6n, 5_000n],
      [100n, 7n, 59n, 7_500n],
      [max128, max128, max64, 10_000n],
      [1n, 0n, 100n, 10_000n],
      [max128, 1n, 59n, 9_999n],
    ]) {
      const expected = quoteOf(maxPrice, ppm, run, bps);
      expect(await ctx.escrow.quote(maxPrice, ppm, run, bps)).to.deep.equal([
        expected.cost,
        expected.payout,
        expected.refund,
      ]);
    }
  });
});
