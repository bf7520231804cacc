// The machine profile: the capability document a provider publishes for a machine (the reference's SpecInfo, the
// share of it onboarded, the price per minute), content-addressed as the data model's objects are (CIDv0 of the
// dag-pb node holding its Go-style JSON; src/model/cid.ts), and the fields MachineRegistry keeps on chain so that
// people can filter machines without fetching profiles (cores, MHz, memory, disk, GPUs, largest VRAM, the onboarded
// share, the price).
//
// A profile has no timestamp or nonce on purpose: the same machine onboarded the same way has the same CID, so
// re-onboarding it is recognisably a no-op.

import { calculateCid, cidToBytes32 } from "../model/cid";
import { encodeJson } from "../model/json";
import {
  OnboardingRuleError,
  checkOnboardedAmount,
  onboardedShare,
  onboardingBounds,
  type CpuMemoryAmounts,
} from "./rules";
import { machineProfileSchema } from "./schemas";
import type { SpecInfo } from "./types";
import { checkSpecInfo, decodeChecked, LIMITS, type FieldChecks } from "./validate";

/** The profile format this code writes and reads. */
export const PROFILE_VERSION = 1;

const MB = 1n << 20n;
const GB = 1n << 30n;
const HZ_PER_MHZ = 1_000_000n;

/** Accord's machine profile (JSON names in the comments are the fields'). */
export type MachineProfile = {
  /** PROFILE_VERSION. */
  version: number;
  /** The machine's name (its host name by default); free text. */
  name: string;
  /** The machine as probed, in the reference's types. */
  specs: SpecInfo;
  /**
   * What the provider gives the network (the reference's misleadingly named Metadata.reserved): CPU in MHz summed
   * over the logical cores, memory in MB. Each 10–90% of the machine's.
   */
  onboarded: { cpu_mhz: bigint; memory_mb: bigint };
  /** The price of a minute of the onboarded share, in the token's smallest unit. */
  price_per_minute: bigint;
};

/** The machine's totals, from its specs. Units: MHz, MB (2^20 bytes), GB (2^30 bytes). */
export type MachineTotals = {
  /** Logical CPUs (hyperthreads included): what a job's cores are counted in, as os.cpus() counts them. */
  cpuCores: bigint;
  /** Σ over CPU packages of MHz per core × logical cores (the reference's "CPU MHz summed over cores"). */
  cpuMhz: bigint;
  memoryMb: bigint;
  diskGb: bigint;
  gpuCount: bigint;
  /** The largest GPU's VRAM: what a job's VRAM constraint is matched against (a job runs on one GPU). */
  maxGpuVramMb: bigint;
};

/** What MachineRegistry stores of a profile: its CID as bytes32 and the fields people filter by. */
export type MachineOnChainFields = MachineTotals & {
  /** The profile's CID ("Qm…"). */
  profileCid: string;
  /** The sha256 digest inside the CID: how the CID travels on chain. */
  profileId: `0x${string}`;
  onboardedCpuMhz: bigint;
  onboardedMemoryMb: bigint;
  pricePerMinute: bigint;
};

/** The machine's totals (floors of the unit conversions). */
export function machineTotals(specs: SpecInfo): MachineTotals {
  let cpuCores = 0n;
  let cpuMhz = 0n;
  for (const cpu of specs.CPUs ?? []) {
    const threads = BigInt(cpu.Threads);
    cpuCores += threads;
    cpuMhz += (cpu.ClockSpeedHz / HZ_PER_MHZ) * threads;
  }
  const sum = (values: bigint[]): bigint => values.reduce((total, value) => total + value, 0n);
  const gpus = specs.GPUs ?? [];
  return {
    cpuCores,
    cpuMhz,
    memoryMb: sum((specs.RAMs ?? []).map((ram) => ram.Size)) / MB,
    diskGb: sum((specs.Disks ?? []).map((disk) => disk.Size)) / GB,
    gpuCount: BigInt(gpus.length),
    maxGpuVramMb: gpus.reduce((max, gpu) => (gpu.TotalVRAM > max ? gpu.TotalVRAM : max), 0n) / MB,
  };
}

/** What to onboard: an amount, or a percentage of the machine's total (10 to 90). */
export type ShareInput = { amount: bigint } | { percent: bigint };

export type BuildProfileInput = {
  name: string;
  specs: SpecInfo;
  cpu: ShareInput;
  memory: ShareInput;
  pricePerMinute: bigint;
};

/**
 * A profile from a probed machine and the provider's choices: shares are turned into amounts (onboardedShare), and
 * the result is validated as any profile is (OnboardingRuleError for a share outside 10–90%, AccordValidationError
 * naming the field otherwise).
 */
export function buildMachineProfile(input: BuildProfileInput): MachineProfile {
  const totals = machineTotals(input.specs);
  const resolve = (resource: "cpu" | "memory", share: ShareInput, total: bigint): bigint => {
    const amount = "percent" in share ? onboardedShare(resource, total, share.percent) : share.amount;
    checkOnboardedAmount(resource, amount, total);
    return amount;
  };
  const profile: MachineProfile = {
    version: PROFILE_VERSION,
    name: input.name,
    specs: input.specs,
    onboarded: {
      cpu_mhz: resolve("cpu", input.cpu, totals.cpuMhz),
      memory_mb: resolve("memory", input.memory, totals.memoryMb),
    },
    price_per_minute: input.pricePerMinute,
  };
  // The same checks a peer applies to the published document, so that nothing is published that peers refuse.
  return parseMachineProfile(profile);
}

function checkProfile(profile: MachineProfile, c: FieldChecks): void {
  if (profile.version !== PROFILE_VERSION) c.fail("version", `must be ${PROFILE_VERSION}`);
  c.text(profile.name, "name", LIMITS.text, { required: true });
  checkSpecInfo(profile.specs, "specs", c);
  if (!profile.specs.CPUs?.length) c.fail("specs.CPUs", "must list the machine's CPUs");
  if (!profile.specs.RAMs?.length) c.fail("specs.RAMs", "must list the machine's memory");
  const totals = machineTotals(profile.specs);
  if (totals.cpuMhz === 0n) c.fail("specs.CPUs", "must have a clock speed (ClockSpeedHz of at least 1 MHz)");
  if (totals.memoryMb === 0n) c.fail("specs.RAMs", "must add up to at least 1 MB");
  const onboarded: CpuMemoryAmounts = { cpuMhz: profile.onboarded.cpu_mhz, memoryMb: profile.onboarded.memory_mb };
  for (const [field, resource, amount, total] of [
    ["onboarded.cpu_mhz", "cpu", onboarded.cpuMhz, totals.cpuMhz],
    ["onboarded.memory_mb", "memory", onboarded.memoryMb, totals.memoryMb],
  ] as const) {
    try {
      checkOnboardedAmount(resource, amount, total);
    } catch (error) {
      if (!(error instanceof OnboardingRuleError)) throw error;
      const { min, max } = onboardingBounds(total);
      c.fail(
        field,
        `must be between ${min} and ${max} ${error.unit} (10% to 90% of the machine's ${total}), got ${amount}`,
      );
    }
  }
}

/** A machine profile from JSON text or a parsed object: every field checked, the 10–90% rule included. */
export function parseMachineProfile(input: unknown): MachineProfile {
  return decodeChecked<MachineProfile>(input, machineProfileSchema, "machine profile", checkProfile);
}

/** The profile's canonical JSON: the bytes its CID is computed over (every field, in declaration order). */
export function encodeMachineProfile(profile: MachineProfile): string {
  return encodeJson(profile, machineProfileSchema);
}

/** The profile's CID ("Qm…"), computed as the data model computes IDs. */
export function getMachineProfileId(profile: MachineProfile): Promise<string> {
  return calculateCid(profile, machineProfileSchema);
}

/** The on-chain fields of a profile: its CID (and bytes32 digest), the totals, the onboarded share and the price. */
export async function machineOnChainFields(profile: MachineProfile): Promise<MachineOnChainFields> {
  const profileCid = await getMachineProfileId(profile);
  return {
    profileCid,
    profileId: cidToBytes32(profileCid),
    ...machineTotals(profile.specs),
    onboardedCpuMhz: profile.onboarded.cpu_mhz,
    onboardedMemoryMb: profile.onboarded.memory_mb,
    pricePerMinute: profile.price_per_minute,
  };
}
