import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, MaxUint256 } from "ethers";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  JobStatus,
  MACHINE_SALT,
  MAX_PRICE,
  TIME_LIMIT,
  contractSet,
  makeSpec,
} from "../../helpers/escrow";
import { mine, quorumFixtureOf, send, signTaskResponse, type TaskHandle } from "../../helpers/quorum";

const GUARD = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);
const coder = AbiCoder.defaultAbiCoder();

/** The oracle on an escrow whose token is ReentrantERC20Mock (the quorum bonds the AccordToken). */
async function reentrantOracleFixture() {
  const quorum = await quorumFixtureOf(3);
  const [, , provider, requester] = await ethers.getSigners();
  const token = await ethers.deployContract("ReentrantERC20Mock");
  const registry = await ethers.deployContract("MachineRegistry");
  const escrow = await ethers.deployContract("JobEscrow", [
    await token.getAddress(),
    await registry.getAddress(),
    ACCEPTANCE_TIMEOUT,
    ATTESTATION_WINDOW,
  ]);
  const oracle = await ethers.deployContract("QuorumJobOracle", [
    await escrow.getAddress(),
    quorum.tasksAddress,
    0,
    67,
    600n,
  ]);
  const oracleAddress = await oracle.getAddress();
  await send(token.mint(requester.address, 10n ** 24n));
  await send(token.connect(requester).approve(await escrow.getAddress(), MaxUint256));
  await send(registry.connect(provider).register(MACHINE_SALT, makeSpec()));
  const machineId = await registry.machineId(provider.address, MACHINE_SALT);
  const jobs: string[] = [];
  for (const salt of ["a", "b"]) {
    await send(
      escrow.connect(requester).open(ethers.id(salt), machineId, TIME_LIMIT, MAX_PRICE, contractSet(oracleAddress)),
    );
    const jobId = await escrow.jobId(requester.address, ethers.id(salt));
    await send(escrow.connect(provider).accept(jobId));
    await send(escrow.connect(provider).reportCompletion(jobId, 600n));
    jobs.push(jobId);
  }
  await mine();
  return { quorum, token, escrow, oracle, oracleAddress, jobs };
}

describe("QuorumJobOracle re-entrancy", () => {
  it("guards requestAttestation and applyAttestation while applyAttestation pays out", async () => {
    const ctx = await loadFixture(reentrantOracleFixture);
    const body = coder.encode(["uint16", "uint64"], [5_000, 600n]);
    for (const [i, jobId] of ctx.jobs.entries()) {
      await send(ctx.oracle.requestAttestation(jobId));
      const [taskId] = await ctx.oracle.attestationTask(jobId);
      const task = await ctx.quorum.tasks.getTask(taskId);
      const handle: TaskHandle = {
        taskId,
        referenceBlock: Number(task.referenceBlock),
        responseDeadline: task.responseDeadline,
        payload: "0x",
        receipt: undefined as never,
      };
      const { signature } = await signTaskResponse(ctx.quorum, handle, body);
      await send(ctx.quorum.tasks.connect(ctx.quorum.operators[0].signer).respondToTask(taskId, body, signature));
      const reentry =
        i === 0
          ? ctx.oracle.interface.encodeFunctionData("requestAttestation", [ctx.jobs[1]])
          : ctx.oracle.interface.encodeFunctionData("applyAttestation", [jobId, body]);
      await send(ctx.token.arm(ctx.oracleAddress, reentry));
      await send(ctx.oracle.applyAttestation(jobId, body));
      expect(await ctx.token.reentered()).to.equal(true);
      expect(await ctx.token.reentrySucceeded()).to.equal(false);
      expect(await ctx.token.reentryReturnData()).to.equal(GUARD);
      expect(await ctx.escrow.jobStatus(jobId)).to.equal(JobStatus.Attested);
    }
    expect(await ctx.token.balanceOf(await ctx.escrow.getAddress())).to.equal(0n);
  });
});
