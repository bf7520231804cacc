// The reference's unit calculator: CU = round3(min(MRU/4, CRU/2)), SU = round3(HRU/1200 + SRU/300),
// IPv4U = public IPs (CRU in cores; MRU, SRU, HRU in GB; round3 = nearest thousandth, halves away from zero).
// Returned in thousandths of a unit, as CapacityPools takes rates (0.167 SU is 167). Inputs are decimals
// computed exactly (as fractions), so 0.1 GB is a tenth, not a binary approximation.

import { AccordValidationError } from "../model/errors";

/** A workload's resources: cores, and GB of memory, SSD and HDD; public IPv4 addresses. */
export type WorkloadResources = {
  cru: number | bigint | string;
  mru: number | bigint | string;
  sru?: number | bigint | string;
  hru?: number | bigint | string;
  ipv4u?: number | bigint | string;
};

/** Thousandths of a unit per second of running: what `assignWorkload` takes as rates. */
export type ComputedUnits = { cu: bigint; su: bigint; ipv4u: bigint };

/**
 * What the workload is: a container's root disk has 50 GB of SSD free (`CONTAINER_FREE_SRU_GB`); network and
 * gateway workloads are free altogether.
 */
export type WorkloadKind = "vm" | "container" | "volume" | "network" | "gateway";

/** The SSD a container gets without paying for it, in GB. */
export const CONTAINER_FREE_SRU_GB = 50n;

type Fraction = { n: bigint; d: bigint };

function toFraction(value: number | bigint | string | undefined, field: string): Fraction {
  if (value === undefined) return { n: 0n, d: 1n };
  if (typeof value === "bigint") {
    if (value < 0n) throw new AccordValidationError(field, "must not be negative", { subject: "workload resources" });
    return { n: value, d: 1n };
  }
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value.trim();
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) {
    const rule = /^-/.test(text) ? "must not be negative" : "must be a non-negative decimal number";
    throw new AccordValidationError(field, rule, { subject: "workload resources" });
  }
  const [, whole, decimals = "", exponent = "0"] = match;
  let n = BigInt(whole + decimals);
  let d = 10n ** BigInt(decimals.length);
  const e = BigInt(exponent);
  if (e >= 0n) n *= 10n ** e;
  else d *= 10n ** -e;
  return { n, d };
}

/** round(n / d × 1000), halves away from zero (all values here are non-negative). */
function thousandths({ n, d }: Fraction): bigint {
  return (2n * n * 1000n + d) / (2n * d);
}

/**
 * The CU, SU and IPv4U of a workload in thousandths, with the reference's formulas and free allowances.
 * Throws AccordValidationError naming the field for a negative or non-numeric resource.
 */
export function computeUnits(resources: WorkloadResources, options: { kind?: WorkloadKind } = {}): ComputedUnits {
  const cru = toFraction(resources.cru, "cru");
  const mru = toFraction(resources.mru, "mru");
  let sru = toFraction(resources.sru, "sru");
  const hru = toFraction(resources.hru, "hru");
  const ipv4u = toFraction(resources.ipv4u, "ipv4u");
  if (ipv4u.n % ipv4u.d !== 0n) {
    throw new AccordValidationError("ipv4u", "must be a whole number of addresses", { subject: "workload resources" });
  }
  if (options.kind === "network" || options.kind === "gateway") return { cu: 0n, su: 0n, ipv4u: 0n };
  if (options.kind === "container") {
    const free = CONTAINER_FREE_SRU_GB * sru.d;
    sru = { n: sru.n > free ? sru.n - free : 0n, d: sru.d };
  }
  // min(MRU/4, CRU/2): compare mru.n/(4 mru.d) with cru.n/(2 cru.d) by cross-multiplying.
  const memory = { n: mru.n, d: 4n * mru.d };
  const cores = { n: cru.n, d: 2n * cru.d };
  const cu = memory.n * cores.d <= cores.n * memory.d ? memory : cores;
  // HRU/1200 + SRU/300 = (HRU + 4 SRU) / 1200.
  const su = { n: hru.n * sru.d + 4n * sru.n * hru.d, d: 1200n * hru.d * sru.d };
  return { cu: thousandths(cu), su: thousandths(su), ipv4u: (ipv4u.n / ipv4u.d) * 1000n };
}
