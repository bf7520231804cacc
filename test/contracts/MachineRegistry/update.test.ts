import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroHash } from "ethers";

import {
  MachineStatus,
  blockTime,
  escrowFixture,
  loadEscrowFixture,
  makeSpec,
  send,
  specTuple,
} from "../../helpers/escrow";

describe("MachineRegistry.update", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("reverts with MachineRegistry_MachineNotFound for an unknown or removed machine", async () => {
    const ctx = await setup();
    const unknown = ethers.id("unknown");
    const calls = (id: string) => [() => ctx.registry.connect(ctx.provider).update(id, makeSpec())];
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
    for (const call of [() => ctx.registry.connect(ctx.stranger).update(ctx.machineId, makeSpec())]) {
      await expect(call())
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_NotProvider")
        .withArgs(ctx.machineId, ctx.stranger.address);
    }
  });

  it("update checks the spec", async () => {
    const ctx = await setup();
    const update = (overrides: Parameters<typeof makeSpec>[0]) =>
      ctx.registry.connect(ctx.provider).update(ctx.machineId, makeSpec(overrides));
    await expect(update({ profile: ZeroHash })).to.be.revertedWithCustomError(
      ctx.registry,
      "MachineRegistry_ZeroProfile",
    );
    await expect(update({ cpuCores: 0n })).to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_ZeroCapacity");
    await expect(update({ gpuCount: 0n })).to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_GpuMismatch");
    await expect(update({ onboardedCpuMhz: 24_000n }))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_CpuShareOutOfRange")
      .withArgs(24_000n, 24_000n);
    await expect(update({ onboardedMemoryMb: 1n }))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MemoryShareOutOfRange")
      .withArgs(1n, 16_384n);
    expect(await ctx.registry.isValidSpec(makeSpec({ onboardedMemoryMb: 1n }))).to.equal(false);
  });

  it("update replaces the spec, sets updatedAt and emits MachineUpdated", async () => {
    const ctx = await setup();
    const spec = makeSpec({ profile: ethers.id("v2"), pricePerMinute: 5n, gpuCount: 4n, maxGpuVramMb: 81_920n });
    const tx = ctx.registry.connect(ctx.provider).update(ctx.machineId, spec);
    await expect(tx)
      .to.emit(ctx.registry, "MachineUpdated")
      .withArgs(ctx.machineId, ctx.provider.address, specTuple(spec));
    const machine = await ctx.registry.getMachine(ctx.machineId);
    expect(machine.spec).to.deep.equal(specTuple(spec));
    expect(machine.updatedAt).to.equal(await blockTime((await (await tx).wait())!));
    expect(machine.status).to.equal(MachineStatus.Active);
    expect(machine.provider).to.equal(ctx.provider.address);
  });
});
