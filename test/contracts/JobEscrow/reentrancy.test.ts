import { expect } from "chai";
import { ethers } from "hardhat";
import { MaxUint256 } from "ethers";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  FUNDING,
  MACHINE_SALT,
  MAX_PRICE,
  TIME_LIMIT,
  at,
  contractSet,
  keySet,
  makeSpec,
  oracleWallets,
  send,
  signAttestation,
} from "../../helpers/escrow";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

describe("JobEscrow re-entrancy", () => {
  async function reentrantFixture() {
    const [deployer, provider, requester, stranger] = await ethers.getSigners();
    const token = await ethers.deployContract("ReentrantERC20Mock");
    const registry = await ethers.deployContract("MachineRegistry");
    const escrow = await ethers.deployContract("JobEscrow", [
      await token.getAddress(),
      await registry.getAddress(),
      ACCEPTANCE_TIMEOUT,
      ATTESTATION_WINDOW,
    ]);
    const escrowAddress = await escrow.getAddress();
    await send(token.mint(requester.address, FUNDING));
    await send(token.connect(requester).approve(escrowAddress, MaxUint256));
    await send(registry.connect(provider).register(MACHINE_SALT, makeSpec()));
    const machineId = await registry.machineId(provider.address, MACHINE_SALT);
    const { chainId } = await ethers.provider.getNetwork();
    return { deployer, provider, requester, stranger, token, registry, escrow, escrowAddress, machineId, chainId };
  }
  const setup = () => loadFixture(reentrantFixture);
  type Ctx = Awaited<ReturnType<typeof reentrantFixture>>;

  async function expectGuarded(ctx: Ctx) {
    expect(await ctx.token.reentered()).to.equal(true);
    expect(await ctx.token.reentrySucceeded()).to.equal(false);
    const data = await ctx.token.reentryReturnData();
    expect(data).to.equal(ctx.escrow.interface.getError("ReentrancyGuardReentrantCall")!.selector);
  }

  it("guards open while it pulls maxPrice", async () => {
    const ctx = await setup();
    const oracle = contractSet(ctx.stranger.address);
    for (const data of [
      ctx.escrow.interface.encodeFunctionData("open", [ethers.id("x"), ctx.machineId, TIME_LIMIT, 1n, oracle]),
      ctx.escrow.interface.encodeFunctionData("refundUnaccepted", [ethers.id("x")]),
      ctx.escrow.interface.encodeFunctionData("withdraw", [ctx.stranger.address]),
      ctx.escrow.interface.encodeFunctionData("accept", [ethers.id("x")]),
      ctx.escrow.interface.encodeFunctionData("reportCompletion", [ethers.id("x"), 1n]),
      ctx.escrow.interface.encodeFunctionData("attestByOracle", [ethers.id("x"), 1, 1n]),
      ctx.escrow.interface.encodeFunctionData("refundUnattested", [ethers.id("x")]),
    ]) {
      await send(ctx.token.arm(ctx.escrowAddress, data));
      await send(ctx.escrow.connect(ctx.requester).open(ethers.id(data), ctx.machineId, TIME_LIMIT, MAX_PRICE, oracle));
      await expectGuarded(ctx);
    }
  });

  it("guards the payouts of attest, attestByOracle, the refunds and withdraw", async () => {
    const ctx = await setup();
    const oracles = oracleWallets(1);
    const keyed = keySet(oracles, 1);
    const byContract = contractSet(ctx.stranger.address);
    const open = async (salt: string, oracle = keyed) => {
      await send(ctx.escrow.connect(ctx.requester).open(ethers.id(salt), ctx.machineId, TIME_LIMIT, MAX_PRICE, oracle));
      return ctx.escrow.jobId(ctx.requester.address, ethers.id(salt));
    };
    const complete = async (jobId: string) => {
      await send(ctx.escrow.connect(ctx.provider).accept(jobId));
      await send(ctx.escrow.connect(ctx.provider).reportCompletion(jobId, 60n));
    };
    const reentry = (jobId: string) => ctx.escrow.interface.encodeFunctionData("refundUnattested", [jobId]);
    const signCtx = { chainId: ctx.chainId, escrowAddress: ctx.escrowAddress, oracles };

    const a = await open("a");
    await complete(a);
    const attA = { jobId: a, bps: 5_000, runSeconds: 60n };
    const sigA = await signAttestation(signCtx, keyed, attA);
    await send(
      ctx.token.arm(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("attest", [attA, keyed, sigA])),
    );
    await send(ctx.escrow.attest(attA, keyed, sigA));
    await expectGuarded(ctx);

    const b = await open("b", byContract);
    await complete(b);
    await send(ctx.token.arm(ctx.escrowAddress, reentry(b)));
    await send(ctx.escrow.connect(ctx.stranger).attestByOracle(b, 10_000, 60n));
    await expectGuarded(ctx);

    const c = await open("c");
    const d = await open("d");
    await complete(d);
    const openedC = (await ctx.escrow.getJob(c)).openedAt;
    await at(openedC + ACCEPTANCE_TIMEOUT + ATTESTATION_WINDOW + 1n);
    await send(ctx.token.arm(ctx.escrowAddress, reentry(d)));
    await send(ctx.escrow.refundUnaccepted(c));
    await expectGuarded(ctx);
    await send(
      ctx.token.arm(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("withdraw", [ctx.stranger.address])),
    );
    await send(ctx.escrow.refundUnattested(d));
    await expectGuarded(ctx);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });
});
