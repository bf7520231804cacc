import { expect } from "chai";
import { ethers } from "hardhat";

import { MachineStatus, blockTime, escrowFixture, loadEscrowFixture, send, specTuple } from "../../helpers/escrow";

describe("MachineRegistry.setAvailability", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("reverts with MachineRegistry_MachineNotFound for an unknown or removed machine", async () => {
    const ctx = await setup();
    const unknown = ethers.id("unknown");
    const calls = (id: string) => [() => ctx.registry.connect(ctx.provider).setAvailability(id, false)];
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
    for (const call of [() => ctx.registry.connect(ctx.stranger).setAvailability(ctx.machineId, false)]) {
      await expect(call())
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_NotProvider")
        .withArgs(ctx.machineId, ctx.stranger.address);
    }
  });

  it("setAvailability sets available both ways and emits MachineAvailabilitySet", async () => {
    const ctx = await setup();
    for (const available of [false, true]) {
      const tx = ctx.registry.connect(ctx.provider).setAvailability(ctx.machineId, available);
      await expect(tx)
        .to.emit(ctx.registry, "MachineAvailabilitySet")
        .withArgs(ctx.machineId, ctx.provider.address, available);
      const machine = await ctx.registry.getMachine(ctx.machineId);
      expect(machine.spec).to.deep.equal(specTuple({ ...ctx.spec, available }));
      expect(machine.updatedAt).to.equal(await blockTime((await (await tx).wait())!));
      expect((await ctx.registry.offer(ctx.machineId))[2]).to.equal(available);
    }
  });
});
