// MachineRegistryClient (src/clients/machines.ts) on Hardhat's in-process network: a machine registered from its
// profile reads back with the profile's CID and fields, then updated, made unavailable and removed; reverts are
// AccordContractError naming the registry's error, bad input AccordValidationError naming the field.

import { expect } from "chai";
import hre from "hardhat";
import { MachineRegistry__factory } from "../../typechain-types";
import { AccordContractError } from "../../src/clients/errors";
import { MachineRegistryClient } from "../../src/clients/machines";
import { AccordValidationError } from "../../src/model/errors";
import { buildMachineProfile, getMachineProfileId, type MachineProfile } from "../../src/onboarding";
import { sampleSpecs } from "./fixtures";

function profile(cpuPercent = 50n, price = 10n ** 15n): MachineProfile {
  return buildMachineProfile({
    name: "box-1",
    specs: sampleSpecs(),
    cpu: { percent: cpuPercent },
    memory: { percent: 50n },
    pricePerMinute: price,
  });
}

describe("MachineRegistryClient", function () {
  let client: MachineRegistryClient;
  let other: MachineRegistryClient;

  before(async function () {
    const [provider, stranger] = await hre.ethers.getSigners();
    const registry = await new MachineRegistry__factory(provider).deploy();
    const machines = await registry.getAddress();
    client = new MachineRegistryClient(provider, { machines });
    other = new MachineRegistryClient(stranger, { machines });
  });

  it("registers a machine from its profile and reads it back", async () => {
    const mine = profile();
    const salt = `0x${"ab".repeat(32)}`;
    const result = await client.register(mine, { salt });
    expect(result.machineId).to.equal(await client.machineIdOf(salt));
    expect(result.profileCid).to.equal(await getMachineProfileId(mine));
    const machine = await client.getMachine(result.machineId);
    expect(machine).to.deep.include({ exists: true, statusName: "Active", provider: await client.getAddress() });
    expect(machine.spec).to.deep.equal({
      profile: machine.spec.profile,
      profileCid: result.profileCid,
      cpuCores: 8n,
      cpuMhz: 24000n,
      memoryMb: 16384n,
      diskGb: 500n,
      gpuCount: 2n,
      maxGpuVramMb: 24576n,
      onboardedCpuMhz: 12000n,
      onboardedMemoryMb: 8192n,
      pricePerMinute: 10n ** 15n,
      available: true,
    });

    await expect(client.register(mine, { salt })).to.be.rejectedWith(
      AccordContractError,
      /MachineRegistry_MachineExists/,
    );
  });

  it("updates, sets availability and removes, refusing another provider", async () => {
    const { machineId } = await client.register(profile());
    const updated = await client.update(machineId, profile(90n, 7n));
    expect((await client.getMachine(machineId)).spec).to.deep.include({
      onboardedCpuMhz: 21600n,
      pricePerMinute: 7n,
      profileCid: updated.profileCid,
    });
    await client.setAvailability(machineId, false);
    expect((await client.getMachine(machineId)).spec.available).to.equal(false);
    await expect(other.remove(machineId)).to.be.rejectedWith(AccordContractError, /MachineRegistry_NotProvider/);
    await client.remove(machineId);
    expect((await client.getMachine(machineId)).statusName).to.equal("Removed");
    await expect(client.setAvailability(machineId, true)).to.be.rejectedWith(
      AccordContractError,
      /MachineRegistry_MachineNotFound/,
    );
  });

  it("refuses a bad profile or ID before sending, naming the field", async () => {
    const bad = { ...profile(), onboarded: { cpu_mhz: 1n, memory_mb: 8192n } };
    await expect(client.register(bad)).to.be.rejectedWith(AccordValidationError, /onboarded.cpu_mhz/);
    await expect(client.getMachine("0x12")).to.be.rejectedWith(AccordValidationError, /machineId/);
    expect((await client.getMachine(`0x${"01".repeat(32)}`)).exists).to.equal(false);
  });
});
