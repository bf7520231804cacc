import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";

import {
  JobStatus,
  MAX_ORACLES,
  MAX_PRICE,
  MAX_TIME_LIMIT,
  TIME_LIMIT,
  blockTime,
  contractSet,
  escrowFixture,
  keySet,
  loadEscrowFixture,
  makeSpec,
  oracleWallets,
  openJob,
  send,
  type OracleSet,
} from "../../helpers/escrow";

const coder = AbiCoder.defaultAbiCoder();
const hashSet = (set: OracleSet) =>
  keccak256(coder.encode(["address[]", "uint8", "address"], [set.signers, set.threshold, set.oracleContract]));

describe("JobEscrow.open", () => {
  const setup = () => loadEscrowFixture(escrowFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const one = (ctx: Ctx) => keySet(ctx.oracles.slice(0, 1), 1);
  const open = (
    ctx: Ctx,
    overrides: { machineId?: string; timeLimit?: bigint; maxPrice?: bigint; oracle?: OracleSet } = {},
  ) =>
    ctx.escrow
      .connect(ctx.requester)
      .open(
        ethers.id("salt"),
        overrides.machineId ?? ctx.machineId,
        overrides.timeLimit ?? TIME_LIMIT,
        overrides.maxPrice ?? MAX_PRICE,
        overrides.oracle ?? one(ctx),
      );

  it("reverts with JobEscrow_JobExists for a reused salt", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    await expect(openJob(ctx, { salt: job.salt }))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobExists")
      .withArgs(job.jobId);
  });

  it("reverts with JobEscrow_MachineUnavailable for an unknown, unavailable or removed machine", async () => {
    const ctx = await setup();
    const unknown = ethers.id("unknown");
    await expect(open(ctx, { machineId: unknown }))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_MachineUnavailable")
      .withArgs(unknown);
    await send(ctx.registry.connect(ctx.provider).setAvailability(ctx.machineId, false));
    await expect(open(ctx))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_MachineUnavailable")
      .withArgs(ctx.machineId);
    await send(ctx.registry.connect(ctx.provider).remove(ctx.machineId));
    await expect(open(ctx))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_MachineUnavailable")
      .withArgs(ctx.machineId);
  });

  it("reverts with JobEscrow_InvalidTimeLimit for 0 or above MAX_TIME_LIMIT", async () => {
    const ctx = await setup();
    for (const timeLimit of [0n, MAX_TIME_LIMIT + 1n]) {
      await expect(open(ctx, { timeLimit }))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidTimeLimit")
        .withArgs(timeLimit, MAX_TIME_LIMIT);
    }
  });

  it("reverts with JobEscrow_ZeroMaxPrice", async () => {
    const ctx = await setup();
    await expect(open(ctx, { maxPrice: 0n })).to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_ZeroMaxPrice");
  });

  it("reverts with JobEscrow_InvalidOracleSet for every malformed set", async () => {
    const ctx = await setup();
    const [a, b, c] = ctx.oracles.map((wallet) => wallet.address);
    const many = oracleWallets(MAX_ORACLES + 1, "many").map((wallet) => wallet.address);
    const bad: OracleSet[] = [
      { signers: [], threshold: 0, oracleContract: ZeroAddress },
      { signers: [], threshold: 1, oracleContract: ZeroAddress },
      { signers: many, threshold: 1, oracleContract: ZeroAddress },
      { signers: [a, b], threshold: 0, oracleContract: ZeroAddress },
      { signers: [a, b], threshold: 3, oracleContract: ZeroAddress },
      { signers: [ZeroAddress, a], threshold: 1, oracleContract: ZeroAddress },
      { signers: [b, a], threshold: 1, oracleContract: ZeroAddress },
      { signers: [a, a, c], threshold: 2, oracleContract: ZeroAddress },
      { signers: [a], threshold: 0, oracleContract: c },
      { signers: [], threshold: 1, oracleContract: c },
    ];
    for (const oracle of bad) {
      await expect(open(ctx, { oracle })).to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidOracleSet");
    }
  });

  it("reverts with the token's error without allowance or balance", async () => {
    const ctx = await setup();
    await send(ctx.token.connect(ctx.requester).approve(ctx.escrowAddress, 0n));
    await expect(open(ctx)).to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance");
    await send(ctx.token.connect(ctx.requester).approve(ctx.escrowAddress, ethers.MaxUint256));
    await expect(open(ctx, { maxPrice: 10n ** 30n })).to.be.revertedWithCustomError(
      ctx.token,
      "ERC20InsufficientBalance",
    );
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });

  it("pulls maxPrice, stores the job and emits JobOpened", async () => {
    const ctx = await setup();
    const oracle = keySet(ctx.oracles.slice(0, 3), 2);
    const salt = ethers.id("salt");
    const jobId = keccak256(coder.encode(["address", "bytes32"], [ctx.requester.address, salt]));
    expect(await ctx.escrow.jobId(ctx.requester.address, salt)).to.equal(jobId);
    expect(await ctx.escrow.hashOracleSet(oracle)).to.equal(hashSet(oracle));
    const before = await ctx.token.balanceOf(ctx.requester.address);
    const tx = open(ctx, { oracle });
    await expect(tx)
      .to.emit(ctx.escrow, "JobOpened")
      .withArgs(
        jobId,
        ctx.requester.address,
        ctx.machineId,
        ctx.provider.address,
        salt,
        TIME_LIMIT,
        MAX_PRICE,
        ctx.spec.pricePerMinute,
        hashSet(oracle),
        [oracle.signers, oracle.threshold, oracle.oracleContract],
      );
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.requester, ctx.escrow], [-MAX_PRICE, MAX_PRICE]);
    expect(await ctx.token.balanceOf(ctx.requester.address)).to.equal(before - MAX_PRICE);
    const job = await ctx.escrow.getJob(jobId);
    expect(job.requester).to.equal(ctx.requester.address);
    expect(job.openedAt).to.equal(await blockTime((await (await tx).wait())!));
    expect(job.status).to.equal(JobStatus.Open);
    expect(job.provider).to.equal(ctx.provider.address);
    expect(job.timeLimit).to.equal(TIME_LIMIT);
    expect(job.acceptedAt).to.equal(0n);
    expect(job.machineId).to.equal(ctx.machineId);
    expect(job.oracleHash).to.equal(hashSet(oracle));
    expect(job.maxPrice).to.equal(MAX_PRICE);
    expect(job.pricePerMinute).to.equal(ctx.spec.pricePerMinute);
    expect([job.completedAt, job.reportedRunSeconds, job.bps, job.runSeconds]).to.deep.equal([0n, 0n, 0n, 0n]);
    expect(await ctx.escrow.jobStatus(jobId)).to.equal(JobStatus.Open);
  });

  it("accepts the largest set, threshold n, an oracle contract and MAX_TIME_LIMIT", async () => {
    const ctx = await setup();
    const many = oracleWallets(MAX_ORACLES, "many");
    await openJob(ctx, { oracle: keySet(many, MAX_ORACLES) });
    await openJob(ctx, { oracle: keySet(many.slice(0, 5), 5) });
    await openJob(ctx, { oracle: contractSet(ctx.stranger.address) });
    await openJob(ctx, { timeLimit: MAX_TIME_LIMIT, maxPrice: 1n });
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(3n * MAX_PRICE + 1n);
  });

  it("keeps the price at opening, and many jobs (any requester, same salt) at once", async () => {
    const ctx = await setup();
    const first = await openJob(ctx, { salt: ethers.id("same") });
    await send(ctx.registry.connect(ctx.provider).update(ctx.machineId, makeSpec({ pricePerMinute: 1n })));
    const second = await openJob(ctx, { salt: ethers.id("same"), requester: ctx.requester2 });
    expect(second.jobId).to.not.equal(first.jobId);
    expect((await ctx.escrow.getJob(first.jobId)).pricePerMinute).to.equal(ctx.spec.pricePerMinute);
    expect((await ctx.escrow.getJob(second.jobId)).pricePerMinute).to.equal(1n);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(2n * MAX_PRICE);
  });
});
