import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, MaxUint256 } from "ethers";

import type { AccordToken, ReentrantERC20Mock } from "../../../typechain-types";
import { AgreementState, createDeal, deployReentrantMarketFixture, makeTerms } from "../../helpers/fixtures";
import {
  MIN_BOND,
  UNBONDING_DELAY,
  deployQuorumContracts,
  makeOperators,
  mine,
  operatorOf,
  proofOfPossession,
  registerOperator,
  send,
  signTaskResponse,
  type TaskHandle,
} from "../../helpers/quorum";
import { mediatorFixtureOn } from "./mediator.shared";

const GUARD = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

async function expectGuarded(token: ReentrantERC20Mock): Promise<void> {
  expect(await token.reentered()).to.equal(true);
  expect(await token.reentrySucceeded()).to.equal(false);
  expect(await token.reentryReturnData()).to.equal(GUARD);
}

describe("Re-entrancy guards of OperatorRegistry and QuorumMediator", () => {
  it("OperatorRegistry refuses re-entrant register, increaseBond and withdrawBond", async () => {
    const base = await deployQuorumContracts();
    const token = await ethers.deployContract("ReentrantERC20Mock");
    const registry = await ethers.deployContract("OperatorRegistry", [
      await token.getAddress(),
      MIN_BOND,
      UNBONDING_DELAY,
    ]);
    const ctx = {
      ...base,
      token: token as unknown as AccordToken,
      registry,
      registryAddress: await registry.getAddress(),
    };
    const [alice] = await makeOperators(ctx, 1);
    const key = await operatorOf(alice.signer);
    const proof = proofOfPossession(ctx.chainId, ctx.registryAddress, alice.address, key.secretKey);
    const calls = [
      registry.interface.encodeFunctionData("register", [key.publicKeyHex, proof, "u", MIN_BOND, 1]),
      registry.interface.encodeFunctionData("increaseBond", [1n]),
      registry.interface.encodeFunctionData("withdrawBond", [alice.address]),
    ];
    await token.arm(ctx.registryAddress, calls[0]);
    await registerOperator(ctx, alice);
    await expectGuarded(token);
    await token.arm(ctx.registryAddress, calls[1]);
    await registry.connect(alice.signer).increaseBond(1n);
    await expectGuarded(token);
    await registry.connect(alice.signer).startUnbonding();
    await time.increase(UNBONDING_DELAY);
    await token.arm(ctx.registryAddress, calls[2]);
    await registry.connect(alice.signer).withdrawBond(alice.address);
    await expectGuarded(token);
    expect(await token.balanceOf(ctx.registryAddress)).to.equal(0n);
  });

  it("QuorumMediator refuses re-entrant requestVerdict, applyVerdict and withdraw", async () => {
    const ctx = await loadFixture(reentrantMediatorFixture);
    const token = ctx.token;
    const verdict = AbiCoder.defaultAbiCoder().encode(["uint8"], [1]);
    const args = (deal: typeof ctx.deal) => [deal.dealId, deal.terms, deal.instructionCount] as const;
    const answer = async (deal: typeof ctx.deal) => {
      await send(ctx.mediator.requestVerdict(...args(deal)));
      const [taskId] = await ctx.mediator.verdictTask(deal.dealKey);
      const stored = await ctx.quorum.tasks.getTask(taskId);
      const task: TaskHandle = {
        taskId,
        referenceBlock: Number(stored.referenceBlock),
        responseDeadline: stored.responseDeadline,
        payload: "0x",
        receipt: undefined as never,
      };
      const { signature } = await signTaskResponse(ctx.quorum, task, verdict);
      await send(ctx.quorum.tasks.connect(aggregator.signer).respondToTask(taskId, verdict, signature));
    };
    const aggregator = ctx.quorum.operators[0];
    const mediator = ctx.mediatorAddress;
    const iface = ctx.mediator.interface;
    await answer(ctx.deal);
    await token.arm(mediator, iface.encodeFunctionData("requestVerdict", [...args(ctx.second)]));
    await ctx.mediator.applyVerdict(...args(ctx.deal));
    await expectGuarded(token);
    await token.arm(mediator, iface.encodeFunctionData("applyVerdict", [...args(ctx.deal)]));
    await ctx.mediator.connect(aggregator.signer).withdraw(aggregator.address);
    await expectGuarded(token);
    await answer(ctx.second);
    await token.arm(mediator, iface.encodeFunctionData("withdraw", [aggregator.address]));
    await ctx.mediator.applyVerdict(...args(ctx.second));
    await expectGuarded(token);
    expect(await ctx.mediator.credit(aggregator.address)).to.equal(await token.balanceOf(mediator));
  });
});

async function reentrantMediatorFixture() {
  const ctx = await mediatorFixtureOn(deployReentrantMarketFixture);
  const second = await createDeal(ctx, AgreementState.ResultsChecked, {
    terms: makeTerms({ members: { mediators: [ctx.mediatorAddress] } }),
  });
  await mine();
  await ctx.token.connect(ctx.deployer).approve(ctx.mediatorAddress, MaxUint256);
  return { ...ctx, second };
}
