import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";

import {
  AgreementState,
  DEFAULT_PRICING,
  createDeal,
  deployMarketFixture,
  makeTerms,
  type DealHandle,
} from "../../helpers/fixtures";
import { TaskStatus, mine, send, signTaskResponse, type TaskHandle } from "../../helpers/quorum";
import { WINDOW, mediatorFixtureOn } from "./mediator.shared";

const coder = AbiCoder.defaultAbiCoder();
const verdict = (v: number) => coder.encode(["uint8"], [v]);

async function mediatorFixture() {
  return mediatorFixtureOn(deployMarketFixture);
}

describe("QuorumMediator", () => {
  const setup = () => loadFixture(mediatorFixture);
  type Ctx = Awaited<ReturnType<typeof mediatorFixture>>;
  const args = (deal: DealHandle) => [deal.dealId, deal.terms, deal.instructionCount] as const;

  async function request(ctx: Ctx): Promise<TaskHandle> {
    const receipt = await send(ctx.mediator.connect(ctx.stranger).requestVerdict(...args(ctx.deal)));
    const [taskId] = await ctx.mediator.verdictTask(ctx.deal.dealKey);
    const task = await ctx.quorum.tasks.getTask(taskId);
    return {
      taskId,
      referenceBlock: Number(task.referenceBlock),
      responseDeadline: task.responseDeadline,
      payload: "0x",
      receipt,
    };
  }

  async function answer(ctx: Ctx, task: TaskHandle, response: string, aggregator = ctx.quorum.operators[0]) {
    const { signature } = await signTaskResponse(ctx.quorum, task, response);
    await send(ctx.quorum.tasks.connect(aggregator.signer).respondToTask(task.taskId, response, signature));
  }

  it("the constructor refuses zero addresses, a bad threshold and a bad window", async () => {
    const ctx = await setup();
    const factory = await ethers.getContractFactory("QuorumMediator");
    const market = await ctx.market.getAddress();
    const tasks = ctx.quorum.tasksAddress;
    const token = ctx.quorum.tokenAddress;
    for (const [m, t, k] of [
      [ZeroAddress, tasks, token],
      [market, ZeroAddress, token],
      [market, tasks, ZeroAddress],
    ]) {
      await expect(factory.deploy(m, t, k, 0, 67, WINDOW)).to.be.revertedWithCustomError(
        ctx.mediator,
        "QuorumMediator_ZeroAddress",
      );
    }
    for (const threshold of [0, 101]) {
      await expect(factory.deploy(market, tasks, token, 0, threshold, WINDOW))
        .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_InvalidThreshold")
        .withArgs(threshold);
    }
    for (const window of [59n, 7n * 24n * 3600n + 1n]) {
      await expect(factory.deploy(market, tasks, token, 0, 67, window))
        .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_InvalidResponseWindow")
        .withArgs(window);
    }
    expect(await ctx.mediator.market()).to.equal(market);
    expect(await ctx.mediator.taskManager()).to.equal(tasks);
    expect(await ctx.mediator.token()).to.equal(token);
    expect(await ctx.mediator.quorum()).to.equal(0n);
    expect(await ctx.mediator.thresholdPercent()).to.equal(67n);
    expect(await ctx.mediator.responseWindow()).to.equal(WINDOW);
    expect(await ctx.mediator.VERDICT_ACCEPT()).to.equal(1n);
    expect(await ctx.mediator.VERDICT_REJECT()).to.equal(2n);
  });

  it("requestVerdict reverts with QuorumMediator_NotDrawn when the market drew another mediator", async () => {
    const ctx = await setup();
    const other = ctx.mediators[0].address;
    const terms = makeTerms({ members: { mediators: [other] } });
    const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms });
    await mine();
    await expect(ctx.mediator.requestVerdict(...args(deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_NotDrawn")
      .withArgs(deal.dealId, other);
    const settled = await createDeal(ctx, AgreementState.ResultsAccepted, {
      terms: makeTerms({ members: { mediators: [ctx.mediatorAddress] } }),
    });
    await expect(ctx.mediator.requestVerdict(...args(settled))).to.be.revertedWithCustomError(
      ctx.market,
      "DealMarket_InvalidState",
    );
  });

  it("requestVerdict creates the quorum's task and emits VerdictRequested", async () => {
    const ctx = await setup();
    const { deal } = ctx;
    const salt = keccak256(coder.encode(["bytes32", "uint32"], [deal.dealKey, 0]));
    const taskId = await ctx.quorum.tasks.taskId(ctx.mediatorAddress, salt);
    const payload = coder.encode(
      ["bytes32", "address", "address", "uint64", "bytes32"],
      [
        deal.dealId,
        deal.terms.members.jobCreator,
        deal.terms.members.resourceProvider,
        deal.instructionCount,
        await ctx.market.hashTerms(deal.terms),
      ],
    );
    const tx = ctx.mediator.requestVerdict(...args(deal));
    await expect(tx).to.emit(ctx.mediator, "VerdictRequested").withArgs(deal.dealId, taskId, 0);
    await expect(tx).to.emit(ctx.quorum.tasks, "TaskCreated");
    const task = await ctx.quorum.tasks.getTask(taskId);
    expect(task.creator).to.equal(ctx.mediatorAddress);
    expect(task.thresholdPercent).to.equal(67n);
    expect(task.verifier).to.equal(ZeroAddress);
    expect(task.payloadHash).to.equal(keccak256(payload));
    expect(await ctx.mediator.verdictTask(deal.dealKey)).to.deep.equal([taskId, 1n]);
  });

  it("requestVerdict reverts with QuorumMediator_VerdictPending while the task is open or answered, and retries an expired one", async () => {
    const ctx = await setup();
    const first = await request(ctx);
    await expect(ctx.mediator.requestVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_VerdictPending")
      .withArgs(ctx.deal.dealKey, first.taskId, TaskStatus.Open);
    await time.increaseTo(first.responseDeadline + 1n);
    expect(await ctx.quorum.tasks.taskStatus(first.taskId)).to.equal(TaskStatus.Expired);
    await expect(ctx.mediator.applyVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_VerdictNotFinal")
      .withArgs(first.taskId);
    const second = await request(ctx);
    expect(second.taskId).to.not.equal(first.taskId);
    expect((await ctx.mediator.verdictTask(ctx.deal.dealKey))[1]).to.equal(2n);
    await answer(ctx, second, verdict(1));
    await expect(ctx.mediator.requestVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_VerdictPending")
      .withArgs(ctx.deal.dealKey, second.taskId, TaskStatus.Responded);
    await ctx.mediator.applyVerdict(...args(ctx.deal));
    expect((await ctx.market.getDeal(ctx.deal.dealKey)).state).to.equal(BigInt(AgreementState.MediationAccepted));
  });

  it("applyVerdict reverts with QuorumMediator_NoVerdictTask, _VerdictNotFinal and _InvalidVerdict", async () => {
    const ctx = await setup();
    await expect(ctx.mediator.applyVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_NoVerdictTask")
      .withArgs(ctx.deal.dealKey);
    const task = await request(ctx);
    await expect(ctx.mediator.applyVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_VerdictNotFinal")
      .withArgs(task.taskId);
    await answer(ctx, task, verdict(3));
    await expect(ctx.mediator.applyVerdict(...args(ctx.deal)))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_InvalidVerdict")
      .withArgs(task.taskId, keccak256(verdict(3)));
  });

  for (const [name, v, state] of [
    ["accepts", 1, AgreementState.MediationAccepted],
    ["rejects", 2, AgreementState.MediationRejected],
  ] as const) {
    it(`${name} the results end to end: the fee goes to the aggregator, funds conserved`, async () => {
      const ctx = await setup();
      const aggregator = ctx.quorum.operators[1];
      const token = ctx.token;
      const accounts = [
        await ctx.market.getAddress(),
        ctx.mediatorAddress,
        ctx.deal.terms.members.jobCreator,
        ctx.deal.terms.members.resourceProvider,
        aggregator.address,
        ctx.stranger.address,
      ];
      const sum = async () => (await Promise.all(accounts.map((a) => token.balanceOf(a)))).reduce((x, y) => x + y, 0n);
      const total = await sum();
      const task = await request(ctx);
      await answer(ctx, task, verdict(v), aggregator);
      const tx = ctx.mediator.connect(ctx.stranger).applyVerdict(...args(ctx.deal));
      await expect(tx)
        .to.emit(ctx.mediator, "VerdictApplied")
        .withArgs(ctx.deal.dealId, task.taskId, aggregator.address, v === 1, DEFAULT_PRICING.mediationFee);
      expect((await ctx.market.getDeal(ctx.deal.dealKey)).state).to.equal(BigInt(state));
      expect(await ctx.mediator.credit(aggregator.address)).to.equal(DEFAULT_PRICING.mediationFee);
      expect(await token.balanceOf(ctx.mediatorAddress)).to.equal(DEFAULT_PRICING.mediationFee);
      expect(await sum()).to.equal(total);
      await expect(ctx.mediator.applyVerdict(...args(ctx.deal))).to.be.revertedWithCustomError(
        ctx.market,
        "DealMarket_InvalidState",
      );
      // The aggregator withdraws its fee.
      const before = await token.balanceOf(ctx.stranger.address);
      await expect(ctx.mediator.connect(aggregator.signer).withdraw(ctx.stranger.address))
        .to.emit(ctx.mediator, "Withdrawn")
        .withArgs(aggregator.address, ctx.stranger.address, DEFAULT_PRICING.mediationFee);
      expect(await token.balanceOf(ctx.stranger.address)).to.equal(before + DEFAULT_PRICING.mediationFee);
      expect(await ctx.mediator.credit(aggregator.address)).to.equal(0n);
      expect(await token.balanceOf(ctx.mediatorAddress)).to.equal(0n);
      expect(await sum()).to.equal(total);
    });
  }

  it("withdraw reverts with QuorumMediator_NothingToWithdraw and QuorumMediator_ZeroAddress", async () => {
    const ctx = await setup();
    await expect(ctx.mediator.connect(ctx.stranger).withdraw(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.mediator, "QuorumMediator_NothingToWithdraw")
      .withArgs(ctx.stranger.address);
    const aggregator = ctx.quorum.operators[0];
    const task = await request(ctx);
    await answer(ctx, task, verdict(1), aggregator);
    await ctx.mediator.applyVerdict(...args(ctx.deal));
    await expect(ctx.mediator.connect(aggregator.signer).withdraw(ZeroAddress)).to.be.revertedWithCustomError(
      ctx.mediator,
      "QuorumMediator_ZeroAddress",
    );
  });
});
