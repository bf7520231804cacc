// The onboarding rules in integers: what a provider may onboard of a machine (10% to 90% of its CPU and of its
// memory, inclusive, as the reference requires: "between 10% and 90% of the available CPU (min and max)"), and what
// a running machine can still take (free = onboarded − Σ running jobs' requirements; a job needing more is refused).
// Pure functions; a failure is an error that names the resource and the bound it crossed.

import { AccordError } from "../model/errors";

/** The onboarded share of CPU and memory must be at least this percentage of the machine's… */
export const MIN_ONBOARDED_PERCENT = 10n;
/** …and at most this one. Both bounds are inclusive. */
export const MAX_ONBOARDED_PERCENT = 90n;

/** The resources the onboarding rule covers. */
export type OnboardedResource = "cpu" | "memory";

const UNITS: Record<OnboardedResource, string> = { cpu: "MHz", memory: "MB" };

/** CPU (MHz summed over the logical cores) and memory (MB): what the rule and the free-resource arithmetic count. */
export type CpuMemoryAmounts = { cpuMhz: bigint; memoryMb: bigint };

/** An onboarded amount (or share) outside 10–90% of the machine's total. */
export class OnboardingRuleError extends AccordError {
  override name = "OnboardingRuleError";

  constructor(
    readonly resource: OnboardedResource,
    readonly bound: "min" | "max",
    /** The amount onboarded, or the percentage asked for (see `unit`). */
    readonly value: bigint,
    /** The bound's value in the same unit. */
    readonly limit: bigint,
    readonly unit: string,
    readonly total: bigint,
  ) {
    const percent = bound === "min" ? MIN_ONBOARDED_PERCENT : MAX_ONBOARDED_PERCENT;
    super(
      `onboarded ${resource} ${value} ${unit} is ${bound === "min" ? "below" : "above"} the ${percent}% ` +
        `${bound === "min" ? "minimum" : "maximum"} (${limit} ${unit}) of the machine's ${total} ${UNITS[resource]}`,
    );
  }
}

/** The least and most that may be onboarded of `total`: ceil(10% of it) and floor(90% of it). */
export function onboardingBounds(total: bigint): { min: bigint; max: bigint } {
  const hundred = 100n;
  return {
    min: (total * MIN_ONBOARDED_PERCENT + hundred - 1n) / hundred,
    max: (total * MAX_ONBOARDED_PERCENT) / hundred,
  };
}

/** Throws OnboardingRuleError unless 10% × total ≤ onboarded ≤ 90% × total (exact, in integers). */
export function checkOnboardedAmount(resource: OnboardedResource, onboarded: bigint, total: bigint): void {
  const { min, max } = onboardingBounds(total);
  if (onboarded < min) throw new OnboardingRuleError(resource, "min", onboarded, min, UNITS[resource], total);
  if (onboarded > max) throw new OnboardingRuleError(resource, "max", onboarded, max, UNITS[resource], total);
}

/** The onboarding rule for CPU, then memory. */
export function checkOnboarding(machine: CpuMemoryAmounts, onboarded: CpuMemoryAmounts): void {
  checkOnboardedAmount("cpu", onboarded.cpuMhz, machine.cpuMhz);
  checkOnboardedAmount("memory", onboarded.memoryMb, machine.memoryMb);
}

/**
 * `percent`% of `total`, for a provider who states a share: a percentage outside 10–90 is an OnboardingRuleError
 * (its value and limit in percent). Rounded down, except that 10% of a total that is not a multiple of 10 rounds up
 * to the least amount the rule accepts (rounding down would fall below it).
 */
export function onboardedShare(resource: OnboardedResource, total: bigint, percent: bigint): bigint {
  if (percent < MIN_ONBOARDED_PERCENT) {
    throw new OnboardingRuleError(resource, "min", percent, MIN_ONBOARDED_PERCENT, "%", total);
  }
  if (percent > MAX_ONBOARDED_PERCENT) {
    throw new OnboardingRuleError(resource, "max", percent, MAX_ONBOARDED_PERCENT, "%", total);
  }
  const { min } = onboardingBounds(total);
  const share = (total * percent) / 100n;
  const amount = share < min ? min : share;
  // A machine too small for any share (a total under 2 units) still fails here, with the amount named.
  checkOnboardedAmount(resource, amount, total);
  return amount;
}

/** What a job needs of a machine: CPU and memory out of the onboarded share, and VRAM (MB) on one GPU (0: none). */
export type JobRequirements = CpuMemoryAmounts & { vramMb?: bigint };

/** The GPU side of a machine a job is matched against (the profile's on-chain fields have both). */
export type MachineGpus = { gpuCount: bigint; maxGpuVramMb: bigint };

/** Why a machine cannot take a job, or why its running jobs already exceed what was onboarded. */
export type ShortfallReason = "cpu" | "memory" | "gpu" | "vram";

/** A job needs more than the machine has free (or the running jobs already exceed the onboarded share). */
export class ResourceShortfallError extends AccordError {
  override name = "ResourceShortfallError";

  constructor(
    readonly reason: ShortfallReason,
    readonly needed: bigint,
    readonly available: bigint,
    context: string,
  ) {
    const unit = reason === "cpu" ? "MHz" : reason === "gpu" ? "GPU(s)" : "MB";
    const what = reason === "vram" ? "VRAM on one GPU" : reason === "gpu" ? "GPU" : reason;
    super(`${context}: needs ${needed} ${unit} of ${what}, ${available} ${unit} available`);
  }
}

/**
 * The reference's FreeResources: onboarded − Σ running jobs' CPU and memory. Running jobs that together need more
 * than was onboarded (a bookkeeping error: admitJob never lets it happen) is a ResourceShortfallError.
 */
export function freeResources(onboarded: CpuMemoryAmounts, running: readonly CpuMemoryAmounts[]): CpuMemoryAmounts {
  let cpuMhz = onboarded.cpuMhz;
  let memoryMb = onboarded.memoryMb;
  for (const job of running) {
    cpuMhz -= job.cpuMhz;
    memoryMb -= job.memoryMb;
  }
  const context = "the running jobs exceed the onboarded share";
  if (cpuMhz < 0n) throw new ResourceShortfallError("cpu", onboarded.cpuMhz - cpuMhz, onboarded.cpuMhz, context);
  if (memoryMb < 0n) {
    throw new ResourceShortfallError("memory", onboarded.memoryMb - memoryMb, onboarded.memoryMb, context);
  }
  return { cpuMhz, memoryMb };
}

/**
 * Throws ResourceShortfallError when `job` does not fit: more CPU or memory than is free, or VRAM when the machine
 * has no GPU or none with that much (a GPU job needs a GPU).
 */
export function checkJobFits(free: CpuMemoryAmounts, job: JobRequirements, machine: MachineGpus): void {
  const context = "job refused";
  if (job.cpuMhz > free.cpuMhz) throw new ResourceShortfallError("cpu", job.cpuMhz, free.cpuMhz, context);
  if (job.memoryMb > free.memoryMb) throw new ResourceShortfallError("memory", job.memoryMb, free.memoryMb, context);
  const vram = job.vramMb ?? 0n;
  if (vram > 0n && machine.gpuCount === 0n) throw new ResourceShortfallError("gpu", 1n, 0n, context);
  if (vram > machine.maxGpuVramMb) throw new ResourceShortfallError("vram", vram, machine.maxGpuVramMb, context);
}

/** Admits `job` beside the running ones: the free resources after it, or ResourceShortfallError. */
export function admitJob(
  onboarded: CpuMemoryAmounts,
  running: readonly CpuMemoryAmounts[],
  job: JobRequirements,
  machine: MachineGpus,
): CpuMemoryAmounts {
  const free = freeResources(onboarded, running);
  checkJobFits(free, job, machine);
  return { cpuMhz: free.cpuMhz - job.cpuMhz, memoryMb: free.memoryMb - job.memoryMb };
}
