import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet } from "ethers";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  JobStatus,
  MAX_PRICE,
  TIME_LIMIT,
  acceptedJob,
  at,
  attestationDigestOf,
  blockTime,
  completedJob,
  contractSet,
  escrowDomain,
  escrowFixture,
  keySet,
  loadEscrowFixture,
  openJob,
  quoteOf,
  send,
  signAttestation,
  ATTESTATION_TYPES,
  type Attestation,
  type JobHandle,
  type OracleSignature,
} from "../../helpers/escrow";

describe("JobEscrow.attest", () => {
  const setup = () => loadEscrowFixture(escrowFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const fiveSet = (ctx: Ctx, m: number) => keySet(ctx.oracles, m);
  const attestation = (job: JobHandle, bps: number | bigint = 10_000, runSeconds = 600n): Attestation => ({
    jobId: job.jobId,
    bps,
    runSeconds,
  });
  const submit = async (ctx: Ctx, job: JobHandle, att: Attestation, signatures?: OracleSignature[]) =>
    ctx.escrow
      .connect(ctx.stranger)
      .attest(att, job.oracle, signatures ?? (await signAttestation(ctx, job.oracle, att)));

  it("reverts with JobEscrow_JobNotFound for an unknown job", async () => {
    const ctx = await setup();
    const att = { jobId: ethers.id("none"), bps: 0, runSeconds: 0n };
    const oracle = keySet(ctx.oracles.slice(0, 1), 1);
    await expect(ctx.escrow.attest(att, oracle, await signAttestation(ctx, oracle, att)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobNotFound")
      .withArgs(att.jobId);
  });

  it("reverts with JobEscrow_InvalidState when Open, Attested or Refunded", async () => {
    const ctx = await setup();
    const open = await openJob(ctx);
    await expect(submit(ctx, open, attestation(open)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(open.jobId, JobStatus.Open);
    const attested = await completedJob(ctx);
    await send(submit(ctx, attested, attestation(attested)));
    await expect(submit(ctx, attested, attestation(attested)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(attested.jobId, JobStatus.Attested);
    await at((await blockTime(open.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    await send(ctx.escrow.refundUnaccepted(open.jobId));
    await expect(submit(ctx, open, attestation(open)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(open.jobId, JobStatus.Refunded);
  });

  it("reverts with JobEscrow_NotCompleted while an unreported job runs", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    const completesAt = (await ctx.escrow.getJob(job.jobId)).acceptedAt + TIME_LIMIT;
    expect(await ctx.escrow.completionTime(job.jobId)).to.equal(completesAt);
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(completesAt)]);
    await expect(submit(ctx, job, attestation(job)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NotCompleted")
      .withArgs(job.jobId, completesAt);
  });

  it("reverts with JobEscrow_DeadlinePassed after the attestation window", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx);
    const deadline = (await ctx.escrow.completionTime(job.jobId)) + ATTESTATION_WINDOW;
    await at(deadline);
    await expect(submit(ctx, job, attestation(job)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlinePassed")
      .withArgs(job.jobId, deadline);
    expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(false);
  });

  it("reverts with JobEscrow_InvalidBps above 10000 and JobEscrow_RunTooLong above the limit", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx);
    for (const bps of [10_001, 65_535]) {
      await expect(submit(ctx, job, attestation(job, bps)))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidBps")
        .withArgs(bps);
    }
    await expect(submit(ctx, job, attestation(job, 10_000, TIME_LIMIT + 1n)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_RunTooLong")
      .withArgs(job.jobId, TIME_LIMIT + 1n, TIME_LIMIT);
  });

  it("reverts with JobEscrow_OracleSetMismatch for another set", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: fiveSet(ctx, 3) });
    const expected = await ctx.escrow.hashOracleSet(job.oracle);
    for (const other of [fiveSet(ctx, 2), keySet(ctx.oracles.slice(0, 4), 3)]) {
      const att = attestation(job);
      await expect(ctx.escrow.attest(att, other, await signAttestation(ctx, other, att)))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_OracleSetMismatch")
        .withArgs(job.jobId, await ctx.escrow.hashOracleSet(other), expected);
    }
  });

  it("reverts with JobEscrow_WrongOracleKind for an oracle contract's job", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: contractSet(ctx.stranger.address) });
    await expect(ctx.escrow.attest(attestation(job), job.oracle, []))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_WrongOracleKind")
      .withArgs(job.jobId);
  });

  it("reverts with JobEscrow_NotEnoughSignatures below the threshold", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: fiveSet(ctx, 3) });
    const att = attestation(job);
    const all = await signAttestation(ctx, job.oracle, att, ctx.oracles);
    for (const count of [0, 1, 2]) {
      await expect(submit(ctx, job, att, all.slice(0, count)))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NotEnoughSignatures")
        .withArgs(count, 3);
    }
  });

  it("reverts with JobEscrow_InvalidSignerIndex for duplicated, unsorted or out-of-range signers", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: fiveSet(ctx, 3) });
    const att = attestation(job);
    const all = await signAttestation(ctx, job.oracle, att, ctx.oracles);
    await expect(submit(ctx, job, att, [all[0], all[1], all[1]]))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignerIndex")
      .withArgs(2, 1);
    await expect(submit(ctx, job, att, [all[0], all[0], all[1]]))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignerIndex")
      .withArgs(1, 0);
    await expect(submit(ctx, job, att, [all[2], all[1], all[3]]))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignerIndex")
      .withArgs(1, 1);
    await expect(submit(ctx, job, att, [all[0], all[1], { index: 5, signature: all[4].signature }]))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignerIndex")
      .withArgs(2, 5);
  });

  it("reverts with JobEscrow_InvalidSignature for a wrong signature", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: fiveSet(ctx, 3) });
    const att = attestation(job);
    const [s0, s1, s2] = await signAttestation(ctx, job.oracle, att, ctx.oracles);
    const outsider = new Wallet(ethers.id("outsider"));
    const domain = escrowDomain(ctx.chainId, ctx.escrowAddress);
    const wrong: Array<[string, string]> = [
      ["another key", await outsider.signTypedData(domain, ATTESTATION_TYPES, att)],
      ["another bps", await ctx.oracles[2].signTypedData(domain, ATTESTATION_TYPES, { ...att, bps: 0 })],
      ["another run", await ctx.oracles[2].signTypedData(domain, ATTESTATION_TYPES, { ...att, runSeconds: 1n })],
      ["another domain", await ctx.oracles[2].signTypedData({ ...domain, chainId: 1n }, ATTESTATION_TYPES, att)],
      ["garbage", "0x1234"],
    ];
    // Index 2 is oracles[2]'s slot (the set is the five oracles sorted, as ctx.oracles is).
    for (const [, signature] of wrong) {
      await expect(submit(ctx, job, att, [s0, s1, { index: s2.index, signature }]))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignature")
        .withArgs(2, ctx.oracles[2].address);
    }
  });

  it("pays 1-of-1 and 3-of-5 (any three, or more) with the reference's outcomes and others", async () => {
    const ctx = await setup();
    const cases: Array<[number, number[], bigint, bigint]> = [
      [1, [0], 10_000n, 600n],
      [3, [0, 1, 2], 0n, 600n],
      [3, [1, 3, 4], 5_000n, 601n],
      [3, [0, 2, 3, 4], 7_500n, 1n],
      [3, [0, 1, 2, 3, 4], 1n, TIME_LIMIT],
      [3, [2, 3, 4], 9_999n, 0n],
    ];
    for (const [m, who, bps, runSeconds] of cases) {
      const oracle = m === 1 ? keySet(ctx.oracles.slice(0, 1), 1) : fiveSet(ctx, m);
      const job = await completedJob(ctx, 100n, { oracle });
      const att = { jobId: job.jobId, bps, runSeconds };
      const signatures = await signAttestation(
        ctx,
        oracle,
        att,
        who.map((i) => ctx.oracles[i]),
      );
      const { payout, refund } = quoteOf(MAX_PRICE, ctx.spec.pricePerMinute, runSeconds, bps);
      expect(await ctx.escrow.quote(MAX_PRICE, ctx.spec.pricePerMinute, runSeconds, bps)).to.deep.equal([
        quoteOf(MAX_PRICE, ctx.spec.pricePerMinute, runSeconds, bps).cost,
        payout,
        refund,
      ]);
      const tx = ctx.escrow.connect(ctx.stranger).attest(att, oracle, signatures);
      await expect(tx).to.emit(ctx.escrow, "JobAttested").withArgs(job.jobId, bps, runSeconds, payout, refund);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.escrow, ctx.provider, ctx.requester, ctx.stranger],
        [-MAX_PRICE, payout, refund, 0n],
      );
      const stored = await ctx.escrow.getJob(job.jobId);
      expect(stored.status).to.equal(JobStatus.Attested);
      expect(stored.bps).to.equal(bps);
      expect(stored.runSeconds).to.equal(runSeconds);
      expect(stored.reportedRunSeconds).to.equal(100n);
    }
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });

  it("caps the cost at maxPrice and rounds down", async () => {
    const ctx = await setup();
    // 1e16 per minute * 3600 s / 60 = 6e17 < 1e18; with maxPrice 5e17 the cost is capped.
    const capped = await completedJob(ctx, 3600n, { maxPrice: 5n * 10n ** 17n });
    const att = { jobId: capped.jobId, bps: 7_500, runSeconds: TIME_LIMIT };
    await expect(submit(ctx, capped, att))
      .to.emit(ctx.escrow, "JobAttested")
      .withArgs(capped.jobId, 7_500, TIME_LIMIT, 375n * 10n ** 15n, 125n * 10n ** 15n);
    // 7 wei per minute: 59 s cost 6 wei (6.88 rounded down); 5000 bps of 6 = 3.
    await send(ctx.registry.connect(ctx.provider).update(ctx.machineId, { ...ctx.spec, pricePerMinute: 7n }));
    const small = await completedJob(ctx, 59n, { maxPrice: 100n });
    await expect(submit(ctx, small, { jobId: small.jobId, bps: 5_001, runSeconds: 59n }))
      .to.emit(ctx.escrow, "JobAttested")
      .withArgs(small.jobId, 5_001, 59n, 3n, 97n);
  });

  it("accepts an ERC-1271 signer, and refuses it when the wallet refuses", async () => {
    const ctx = await setup();
    const owner = ctx.oracles[4];
    const wallet = await ethers.deployContract("ERC1271WalletMock", [owner.address]);
    const walletAddress = await wallet.getAddress();
    const oracle = keySet([ctx.oracles[0].address, walletAddress], 2);
    const job = await completedJob(ctx, 600n, { oracle });
    const att = attestation(job, 5_000);
    const domain = escrowDomain(ctx.chainId, ctx.escrowAddress);
    const signatures: OracleSignature[] = [
      {
        index: oracle.signers.indexOf(ctx.oracles[0].address),
        signature: await ctx.oracles[0].signTypedData(domain, ATTESTATION_TYPES, att),
      },
      {
        index: oracle.signers.indexOf(walletAddress),
        signature: await owner.signTypedData(domain, ATTESTATION_TYPES, att),
      },
    ].sort((a, b) => a.index - b.index);
    expect(await ctx.escrow.attestationDigest(att)).to.equal(attestationDigestOf(ctx.chainId, ctx.escrowAddress, att));
    // The wallet mock's owner is an offline key: impersonate none, just flip it through a funded signer.
    const refusing = await ethers.deployContract("ERC1271WalletMock", [ctx.stranger.address]);
    await send(refusing.connect(ctx.stranger).setRejectSignatures(true));
    const refusingAddress = await refusing.getAddress();
    const refusingSet = keySet([ctx.oracles[0].address, refusingAddress], 2);
    const refused = await completedJob(ctx, 600n, { oracle: refusingSet });
    const refusedAtt = attestation(refused);
    const refusedSignatures: OracleSignature[] = [
      {
        index: refusingSet.signers.indexOf(ctx.oracles[0].address),
        signature: await ctx.oracles[0].signTypedData(domain, ATTESTATION_TYPES, refusedAtt),
      },
      {
        index: refusingSet.signers.indexOf(refusingAddress),
        signature: await ctx.stranger.signTypedData(domain, ATTESTATION_TYPES, refusedAtt),
      },
    ].sort((a, b) => a.index - b.index);
    await expect(ctx.escrow.attest(refusedAtt, refusingSet, refusedSignatures))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidSignature")
      .withArgs(refusingSet.signers.indexOf(refusingAddress), refusingAddress);
    await expect(ctx.escrow.attest(att, oracle, signatures)).to.emit(ctx.escrow, "JobAttested");
  });

  it("attests an unreported job past its time limit, at the window's last second", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    const completesAt = (await ctx.escrow.getJob(job.jobId)).acceptedAt + TIME_LIMIT;
    await at(completesAt + 1n);
    expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(true);
    const att = attestation(job, 10_000, TIME_LIMIT);
    const signatures = await signAttestation(ctx, job.oracle, att);
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(completesAt + ATTESTATION_WINDOW)]);
    await expect(ctx.escrow.attest(att, job.oracle, signatures)).to.emit(ctx.escrow, "JobAttested");
    const stored = await ctx.escrow.getJob(job.jobId);
    expect(stored.completedAt).to.equal(completesAt);
    expect(stored.reportedRunSeconds).to.equal(0n);
    expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(false);
  });
});
