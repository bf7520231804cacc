import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, ZeroHash, keccak256 } from "ethers";

import {
  MACHINE_SALT,
  MachineStatus,
  blockTime,
  escrowFixture,
  loadEscrowFixture,
  makeSpec,
  send,
  specTuple,
  type MachineSpec,
} from "../../helpers/escrow";

const MAX_U32 = 2n ** 32n - 1n;

describe("MachineRegistry.register", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("reverts with MachineRegistry_MachineExists for a taken or removed ID", async () => {
    const ctx = await setup();
    await expect(ctx.registry.connect(ctx.provider).register(MACHINE_SALT, makeSpec()))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineExists")
      .withArgs(ctx.machineId);
    await send(ctx.registry.connect(ctx.provider).remove(ctx.machineId));
    await expect(ctx.registry.connect(ctx.provider).register(MACHINE_SALT, makeSpec()))
      .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MachineExists")
      .withArgs(ctx.machineId);
  });

  it("reverts with MachineRegistry_ZeroProfile", async () => {
    const ctx = await setup();
    await expect(
      ctx.registry.connect(ctx.provider).register(ethers.id("m"), makeSpec({ profile: ZeroHash })),
    ).to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_ZeroProfile");
  });

  it("reverts with MachineRegistry_ZeroCapacity for no cores, no clock or no memory", async () => {
    const ctx = await setup();
    for (const overrides of [
      { cpuCores: 0n },
      { cpuMhz: 0n, onboardedCpuMhz: 0n },
      { memoryMb: 0n, onboardedMemoryMb: 0n },
    ]) {
      const spec = makeSpec(overrides);
      await expect(ctx.registry.connect(ctx.provider).register(ethers.id("m"), spec))
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_ZeroCapacity")
        .withArgs(spec.cpuCores, spec.cpuMhz, spec.memoryMb);
    }
  });

  it("reverts with MachineRegistry_GpuMismatch for GPUs without VRAM or VRAM without GPUs", async () => {
    const ctx = await setup();
    for (const overrides of [
      { gpuCount: 2n, maxGpuVramMb: 0n },
      { gpuCount: 0n, maxGpuVramMb: 1n },
    ]) {
      const spec = makeSpec(overrides);
      await expect(ctx.registry.connect(ctx.provider).register(ethers.id("m"), spec))
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_GpuMismatch")
        .withArgs(spec.gpuCount, spec.maxGpuVramMb);
    }
  });

  it("reverts with MachineRegistry_CpuShareOutOfRange one MHz outside 10–90%", async () => {
    const ctx = await setup();
    // cpuMhz 24000: 10% = 2400, 90% = 21600; 24001: 10% = 2400.1, 90% = 21600.9 (no rounding down lets 2400 in).
    for (const [cpuMhz, onboarded] of [
      [24_000n, 2_399n],
      [24_000n, 21_601n],
      [24_001n, 2_400n],
      [24_001n, 21_601n],
      [24_000n, 0n],
    ]) {
      const spec = makeSpec({ cpuMhz, onboardedCpuMhz: onboarded });
      await expect(ctx.registry.connect(ctx.provider).register(ethers.id("m"), spec))
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_CpuShareOutOfRange")
        .withArgs(onboarded, cpuMhz);
    }
  });

  it("reverts with MachineRegistry_MemoryShareOutOfRange one MB outside 10–90%", async () => {
    const ctx = await setup();
    for (const [memoryMb, onboarded] of [
      [16_000n, 1_599n],
      [16_000n, 14_401n],
      [16_005n, 1_600n],
      [16_000n, 16_000n],
    ]) {
      const spec = makeSpec({ memoryMb, onboardedMemoryMb: onboarded });
      await expect(ctx.registry.connect(ctx.provider).register(ethers.id("m"), spec))
        .to.be.revertedWithCustomError(ctx.registry, "MachineRegistry_MemoryShareOutOfRange")
        .withArgs(onboarded, memoryMb);
    }
  });

  it("accepts the inclusive bounds, non-multiples of 10, uint32 maxima, no GPU and a zero price", async () => {
    const ctx = await setup();
    const specs: MachineSpec[] = [
      makeSpec({ cpuMhz: 24_000n, onboardedCpuMhz: 2_400n, memoryMb: 16_000n, onboardedMemoryMb: 14_400n }),
      makeSpec({ cpuMhz: 24_000n, onboardedCpuMhz: 21_600n, memoryMb: 16_000n, onboardedMemoryMb: 1_600n }),
      makeSpec({ cpuMhz: 24_001n, onboardedCpuMhz: 2_401n, memoryMb: 16_005n, onboardedMemoryMb: 14_404n }),
      makeSpec({
        cpuCores: MAX_U32,
        cpuMhz: MAX_U32,
        onboardedCpuMhz: MAX_U32 / 2n,
        memoryMb: MAX_U32,
        onboardedMemoryMb: (MAX_U32 * 9n) / 10n,
        diskGb: MAX_U32,
        gpuCount: 65_535n,
        maxGpuVramMb: MAX_U32,
        pricePerMinute: 2n ** 128n - 1n,
      }),
      makeSpec({ gpuCount: 0n, maxGpuVramMb: 0n, pricePerMinute: 0n, available: false, diskGb: 0n }),
    ];
    for (const [i, spec] of specs.entries()) {
      const salt = ethers.id(`ok-${i}`);
      await send(ctx.registry.connect(ctx.provider).register(salt, spec));
      expect(await ctx.registry.isValidSpec(spec)).to.equal(true);
      const machine = await ctx.registry.getMachine(await ctx.registry.machineId(ctx.provider.address, salt));
      expect(machine.spec).to.deep.equal(specTuple(spec));
    }
  });

  it("stores the machine under keccak256(abi.encode(provider, salt)) and emits MachineRegistered", async () => {
    const ctx = await setup();
    const salt = ethers.id("new");
    const spec = makeSpec({ profile: ethers.id("other profile"), pricePerMinute: 7n });
    const expectedId = keccak256(
      AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [ctx.provider.address, salt]),
    );
    expect(await ctx.registry.machineId(ctx.provider.address, salt)).to.equal(expectedId);
    const tx = ctx.registry.connect(ctx.provider).register(salt, spec);
    await expect(tx)
      .to.emit(ctx.registry, "MachineRegistered")
      .withArgs(expectedId, ctx.provider.address, salt, specTuple(spec));
    const when = await blockTime(await (await tx).wait().then((r) => r!));
    const machine = await ctx.registry.getMachine(expectedId);
    expect(machine.provider).to.equal(ctx.provider.address);
    expect(machine.updatedAt).to.equal(when);
    expect(machine.status).to.equal(MachineStatus.Active);
    expect(machine.spec).to.deep.equal(specTuple(spec));
    expect(await ctx.registry.offer(expectedId)).to.deep.equal([ctx.provider.address, 7n, true]);
  });

  it("lets another provider use the same salt (another ID)", async () => {
    const ctx = await setup();
    await send(ctx.registry.connect(ctx.provider2).register(MACHINE_SALT, makeSpec()));
    const id = await ctx.registry.machineId(ctx.provider2.address, MACHINE_SALT);
    expect(id).to.not.equal(ctx.machineId);
    expect((await ctx.registry.getMachine(id)).provider).to.equal(ctx.provider2.address);
  });
});
