// The machine profile (src/onboarding/profile.ts) and the onboarding rules (src/onboarding/rules.ts): the CID stable
// and changing with content, the on-chain fields, the 10–90% rule at its edges, the free-resource arithmetic.

import { expect } from "chai";
import { AccordValidationError } from "../../src/model/errors";
import { isCidV0, bytes32ToCid } from "../../src/model/cid";
import {
  admitJob,
  buildMachineProfile,
  checkOnboarding,
  checkOnboardedAmount,
  encodeMachineProfile,
  freeResources,
  getMachineProfileId,
  machineOnChainFields,
  machineTotals,
  onboardedShare,
  onboardingBounds,
  OnboardingRuleError,
  parseMachineProfile,
  ResourceShortfallError,
  type MachineProfile,
} from "../../src/onboarding";
import { sampleSpecs } from "./fixtures";

function profileOf(overrides: Partial<MachineProfile> = {}): MachineProfile {
  return {
    ...buildMachineProfile({
      name: "box-1",
      specs: sampleSpecs(),
      cpu: { percent: 50n },
      memory: { percent: 50n },
      pricePerMinute: 10n ** 15n,
    }),
    ...overrides,
  };
}

describe("machine profile", () => {
  it("derives the machine's totals from its specs", () => {
    expect(machineTotals(sampleSpecs())).to.deep.equal({
      cpuCores: 8n,
      cpuMhz: 24000n,
      memoryMb: 16384n,
      diskGb: 500n,
      gpuCount: 2n,
      maxGpuVramMb: 24576n,
    });
  });

  it("has a CIDv0 that is stable, independent of key order, and changes with any content", async () => {
    const profile = profileOf();
    const id = await getMachineProfileId(profile);
    expect(isCidV0(id)).to.equal(true);
    expect(await getMachineProfileId(profileOf())).to.equal(id);
    const shuffled = Object.fromEntries(Object.entries(profile).reverse()) as MachineProfile;
    expect(await getMachineProfileId(shuffled)).to.equal(id);
    expect(await getMachineProfileId(parseMachineProfile(encodeMachineProfile(profile)))).to.equal(id);
    const changed = [
      profileOf({ name: "box-2" }),
      profileOf({ price_per_minute: 10n ** 15n + 1n }),
      profileOf({ onboarded: { ...profile.onboarded, cpu_mhz: profile.onboarded.cpu_mhz + 1n } }),
      { ...profile, specs: { ...profile.specs, GPUs: profile.specs.GPUs!.slice(0, 1) } },
    ];
    for (const other of changed) expect(await getMachineProfileId(other)).to.not.equal(id);
  });

  it("gives the on-chain fields, the CID's digest among them", async () => {
    const profile = profileOf();
    const fields = await machineOnChainFields(profile);
    expect(fields).to.deep.include({
      cpuCores: 8n,
      cpuMhz: 24000n,
      memoryMb: 16384n,
      diskGb: 500n,
      gpuCount: 2n,
      maxGpuVramMb: 24576n,
      onboardedCpuMhz: 12000n,
      onboardedMemoryMb: 8192n,
      pricePerMinute: 10n ** 15n,
    });
    expect(fields.profileCid).to.equal(await getMachineProfileId(profile));
    expect(bytes32ToCid(fields.profileId)).to.equal(fields.profileCid);
  });

  it("refuses bad profiles with the field named", () => {
    const profile = profileOf();
    const cases: [unknown, string, RegExp][] = [
      [{ ...profile, version: 2 }, "version", /must be 1/],
      [{ ...profile, name: "" }, "name", /empty/],
      [{ ...profile, specs: { ...profile.specs, CPUs: [] } }, "specs.CPUs", /must list/],
      [{ ...profile, specs: { ...profile.specs, RAMs: null } }, "specs.RAMs", /must list/],
      [{ ...profile, onboarded: { ...profile.onboarded, cpu_mhz: 21601n } }, "onboarded.cpu_mhz", /2400 and 21600/],
      [{ ...profile, onboarded: { ...profile.onboarded, memory_mb: 1638n } }, "onboarded.memory_mb", /1639 and 14745/],
      [{ ...profile, price_per_minute: -1 }, "price_per_minute", /unsigned 64-bit/],
      [
        { ...profile, specs: { ...profile.specs, GPUs: [{ ...profile.specs.GPUs![0], PCIAddress: "x" }] } },
        "specs.GPUs[0].PCIAddress",
        /PCI/,
      ],
    ];
    for (const [input, field, rule] of cases) {
      let caught: unknown;
      try {
        parseMachineProfile(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).to.be.instanceOf(AccordValidationError);
      expect((caught as AccordValidationError).field, field).to.equal(field);
      expect((caught as AccordValidationError).rule, field).to.match(rule);
    }
  });

  it("builds from shares, refusing a share outside 10–90% with the resource and the bound named", () => {
    const build = (cpu: bigint, memory: bigint) =>
      buildMachineProfile({
        name: "m",
        specs: sampleSpecs(),
        cpu: { percent: cpu },
        memory: { percent: memory },
        pricePerMinute: 0n,
      });
    expect(build(10n, 90n).onboarded).to.deep.equal({ cpu_mhz: 2400n, memory_mb: 14745n });
    expect(() => build(9n, 50n)).to.throw(OnboardingRuleError, /cpu 9 % is below the 10% minimum/);
    expect(() => build(50n, 91n)).to.throw(OnboardingRuleError, /memory 91 % is above the 90% maximum/);
  });
});

describe("onboarding rule: 10% to 90%, inclusive, in integers", () => {
  it("accepts exactly 10% and exactly 90%, refuses one unit outside", () => {
    expect(() => checkOnboardedAmount("cpu", 1000n, 10000n)).to.not.throw();
    expect(() => checkOnboardedAmount("cpu", 9000n, 10000n)).to.not.throw();
    expect(() => checkOnboardedAmount("cpu", 999n, 10000n)).to.throw(OnboardingRuleError, /below the 10% minimum/);
    expect(() => checkOnboardedAmount("cpu", 9001n, 10000n)).to.throw(OnboardingRuleError, /above the 90% maximum/);
  });

  it("rounds the bounds inward when the total is not a multiple of 10, as the contract's 10·x ≥ t, 10·x ≤ 9·t", () => {
    for (const total of [1n, 2n, 9n, 11n, 1005n, 16384n, 24001n]) {
      const { min, max } = onboardingBounds(total);
      // Every amount of a small total; around both bounds of a large one.
      const amounts =
        total <= 100n
          ? [...Array(Number(total) + 1).keys()].map(BigInt)
          : [min - 1n, min, min + 1n, max - 1n, max, max + 1n];
      for (const x of amounts) {
        const contract = 10n * x >= total && 10n * x <= 9n * total;
        expect(x >= min && x <= max, `${x} of ${total}`).to.equal(contract);
      }
    }
  });

  it("names the resource, the bound and the limit", () => {
    try {
      checkOnboarding({ cpuMhz: 24000n, memoryMb: 16384n }, { cpuMhz: 12000n, memoryMb: 1000n });
      expect.fail("should have thrown");
    } catch (error) {
      expect(error).to.be.instanceOf(OnboardingRuleError);
      const rule = error as OnboardingRuleError;
      expect([rule.resource, rule.bound, rule.value, rule.limit, rule.total]).to.deep.equal([
        "memory",
        "min",
        1000n,
        1639n,
        16384n,
      ]);
    }
  });

  it("turns a 10% share of an odd total into the least amount the rule accepts", () => {
    expect(onboardedShare("memory", 1005n, 10n)).to.equal(101n);
    expect(onboardedShare("memory", 1005n, 90n)).to.equal(904n);
    expect(() => onboardedShare("memory", 1n, 50n)).to.throw(OnboardingRuleError);
  });
});

describe("free resources", () => {
  const onboarded = { cpuMhz: 12000n, memoryMb: 8192n };
  const gpus = { gpuCount: 2n, maxGpuVramMb: 24576n };

  it("is the onboarded share minus the running jobs' requirements", () => {
    expect(freeResources(onboarded, [])).to.deep.equal(onboarded);
    expect(
      freeResources(onboarded, [
        { cpuMhz: 2000n, memoryMb: 1024n },
        { cpuMhz: 3000n, memoryMb: 4096n },
      ]),
    ).to.deep.equal({ cpuMhz: 7000n, memoryMb: 3072n });
  });

  it("admits a job that fits exactly, and refuses one needing one unit more, naming the resource", () => {
    const running = [{ cpuMhz: 2000n, memoryMb: 1024n }];
    expect(admitJob(onboarded, running, { cpuMhz: 10000n, memoryMb: 7168n }, gpus)).to.deep.equal({
      cpuMhz: 0n,
      memoryMb: 0n,
    });
    const refusal = (job: { cpuMhz: bigint; memoryMb: bigint; vramMb?: bigint }, machine = gpus) => {
      try {
        admitJob(onboarded, running, job, machine);
      } catch (error) {
        expect(error).to.be.instanceOf(ResourceShortfallError);
        return (error as ResourceShortfallError).reason;
      }
      return "admitted";
    };
    expect(refusal({ cpuMhz: 10001n, memoryMb: 1n })).to.equal("cpu");
    expect(refusal({ cpuMhz: 1n, memoryMb: 7169n })).to.equal("memory");
    expect(refusal({ cpuMhz: 1n, memoryMb: 1n, vramMb: 24577n })).to.equal("vram");
    expect(refusal({ cpuMhz: 1n, memoryMb: 1n, vramMb: 24576n })).to.equal("admitted");
    expect(refusal({ cpuMhz: 1n, memoryMb: 1n, vramMb: 1n }, { gpuCount: 0n, maxGpuVramMb: 0n })).to.equal("gpu");
  });

  it("refuses running jobs that exceed the onboarded share", () => {
    expect(() => freeResources(onboarded, [{ cpuMhz: 12001n, memoryMb: 0n }])).to.throw(
      ResourceShortfallError,
      /running jobs exceed the onboarded share: needs 12001 MHz of cpu, 12000 MHz available/,
    );
  });
});
