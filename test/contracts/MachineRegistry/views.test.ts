import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, ZeroAddress, ZeroHash, keccak256 } from "ethers";

import { MachineStatus, escrowFixture, loadEscrowFixture, makeSpec, send } from "../../helpers/escrow";

describe("MachineRegistry views", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("machineId is keccak256(abi.encode(provider, salt))", async () => {
    const ctx = await setup();
    const salt = ethers.id("x");
    expect(await ctx.registry.machineId(ctx.stranger.address, salt)).to.equal(
      keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [ctx.stranger.address, salt])),
    );
  });

  it("getMachine and offer of an unknown machine are zero", async () => {
    const ctx = await setup();
    const machine = await ctx.registry.getMachine(ethers.id("none"));
    expect(machine.provider).to.equal(ZeroAddress);
    expect(machine.status).to.equal(MachineStatus.None);
    expect(machine.spec.profile).to.equal(ZeroHash);
    expect(await ctx.registry.offer(ethers.id("none"))).to.deep.equal([ZeroAddress, 0n, false]);
  });

  it("offer follows availability", async () => {
    const ctx = await setup();
    expect(await ctx.registry.offer(ctx.machineId)).to.deep.equal([
      ctx.provider.address,
      ctx.spec.pricePerMinute,
      true,
    ]);
    await send(ctx.registry.connect(ctx.provider).setAvailability(ctx.machineId, false));
    expect(await ctx.registry.offer(ctx.machineId)).to.deep.equal([
      ctx.provider.address,
      ctx.spec.pricePerMinute,
      false,
    ]);
  });

  it("isValidSpec agrees with the checks", async () => {
    const ctx = await setup();
    expect(await ctx.registry.isValidSpec(makeSpec())).to.equal(true);
    for (const overrides of [
      { profile: ZeroHash },
      { memoryMb: 0n },
      { maxGpuVramMb: 0n },
      { onboardedCpuMhz: 1n },
      { onboardedMemoryMb: 16_384n },
    ]) {
      expect(await ctx.registry.isValidSpec(makeSpec(overrides))).to.equal(false);
    }
  });
});
