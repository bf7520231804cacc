import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroHash } from "ethers";

import {
  MACHINE_SALT,
  MachineStatus,
  blockTime,
  escrowFixture,
  loadEscrowFixture,
  makeSpec,
  send,
} from "../../helpers/escrow";

describe("MachineRegistry.remove", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("reverts with MachineRegistry_MachineNotFound for an unknown or removed machine", async () => {
    const ctx = await setup();
    const unknown = ethers.id("unknown");
    const calls = (id: string) => [() => ctx.registry.connect(ctx.provider).remove(id)];
    for (const call of calls(unknown)) {
      await expect(call())
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineNotFound")
        .withArgs(unknown, MachineStatus.None);
    }
    await send(ctx.registry.connect(ctx.provider).remove(ctx.machineId));
    for (const call of calls(ctx.machineId)) {
      await expect(call())
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineNotFound")
        .withArgs(ctx.machineId, MachineStatus.Removed);
    }
  });

  it("reverts with MachineRegistry_NotProvider for anyone else", async () => {
    const ctx = await setup();
    for (const call of [() => ctx.registry.connect(ctx.stranger).remove(ctx.machineId)]) {
      await expect(call())
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_NotProvider")
        .withArgs(ctx.machineId, ctx.stranger.address);
    }
  });

  it("remove tombstones the machine and emits MachineRemoved", async () => {
    const ctx = await setup();
    const tx = ctx.registry.connect(ctx.provider).remove(ctx.machineId);
    await expect(tx).to.emit(ctx.registry, "MachineRemoved").withArgs(ctx.machineId, ctx.provider.address);
    const machine = await ctx.registry.getMachine(ctx.machineId);
    expect(machine.status).to.equal(MachineStatus.Removed);
    expect(machine.provider).to.equal(ctx.provider.address);
    expect(machine.updatedAt).to.equal(await blockTime((await (await tx).wait())!));
    expect(machine.spec).to.deep.equal([ZeroHash, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, false]);
    expect(await ctx.registry.offer(ctx.machineId)).to.deep.equal([ctx.provider.address, 0n, false]);
    await expect(ctx.registry.connect(ctx.provider).update(ctx.machineId, makeSpec()))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineNotFound")
      .withArgs(ctx.machineId, MachineStatus.Removed);
    await expect(ctx.registry.connect(ctx.provider).setAvailability(ctx.machineId, true))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineNotFound")
      .withArgs(ctx.machineId, MachineStatus.Removed);
    await expect(ctx.registry.connect(ctx.provider).register(MACHINE_SALT, makeSpec()))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineExists")
      .withArgs(ctx.machineId);
  });
});
