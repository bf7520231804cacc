// Sample documents and probe outputs for the onboarding tests.

import type { SpecInfo } from "../../src/onboarding";

export const MB = 1n << 20n;
export const GB = 1n << 30n;

/** A machine of 8 logical CPUs at 3000 MHz (24000 MHz), 16384 MB, 500 GB, two GPUs (24576 and 16384 MB). */
export function sampleSpecs(): SpecInfo {
  return {
    CPUs: [
      {
        Model: "AMD Ryzen 7 5800X 8-Core Processor",
        Vendor: "AMD",
        ClockSpeedHz: 3_000_000_000n,
        Cores: 4,
        Threads: 8,
        Architecture: "x86_64",
        CacheSize: 512n * 1024n,
      },
    ],
    GPUs: [
      {
        Index: 0,
        Vendor: "NVIDIA",
        PCIAddress: "0000:01:00.0",
        model: "NVIDIA GeForce RTX 3090",
        TotalVRAM: 24576n * MB,
        UsedVRAM: 1024n * MB,
        FreeVRAM: 23552n * MB,
      },
      {
        Index: 1,
        Vendor: "NVIDIA",
        PCIAddress: "0000:02:00.0",
        model: "NVIDIA RTX A4000",
        TotalVRAM: 16384n * MB,
        UsedVRAM: 0n,
        FreeVRAM: 16384n * MB,
      },
    ],
    RAMs: [{ Size: 16384n * MB, ClockSpeedHz: 0n, Type: "" }],
    Disks: [
      {
        Model: "",
        Vendor: "",
        Size: 500n * GB,
        Type: "NVMe",
        Interface: "PCIe",
        ReadSpeed: 0n,
        WriteSpeed: 0n,
      },
    ],
    Network: { Bandwidth: 1_000_000_000n, NetworkType: "Ethernet" },
  };
}

export const NVIDIA_SMI_ONE = "0, NVIDIA GeForce RTX 3090, 00000000:01:00.0, 24576, 1024, 23552\n";

export const NVIDIA_SMI_SEVERAL = [
  "0, NVIDIA A100-SXM4-40GB, 00000000:07:00.0, 40960, 0, 40536",
  "1, NVIDIA A100-SXM4-40GB, 00000000:0F:00.0, 40960, 3, 40533",
  "2, Tesla T4, 00000001:3B:00.0, 15360, [N/A], [N/A]",
  "",
].join("\n");

/** Two logical CPUs of one core (hyperthreading), as an x86 kernel prints them (abridged). */
export const CPUINFO_X86 = `processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 79
model name	: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz
cpu MHz		: 2299.998
cache size	: 46080 KB
physical id	: 0
siblings	: 2
core id		: 0
cpu cores	: 1
flags		: fpu vme de pse
power management:

processor	: 1
vendor_id	: GenuineIntel
cpu family	: 6
model		: 79
model name	: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz
cpu MHz		: 2300.104
cache size	: 46080 KB
physical id	: 0
siblings	: 2
core id		: 0
cpu cores	: 1
flags		: fpu vme de pse
power management:
`;

/** Two sockets of two cores each. */
export const CPUINFO_TWO_SOCKETS = [0, 1, 2, 3]
  .map(
    (n) => `processor	: ${n}
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7R13 Processor
cpu MHz		: ${2650 + n}.000
cache size	: 512 KB
physical id	: ${n < 2 ? 0 : 1}
core id		: ${n % 2}
cpu cores	: 2
`,
  )
  .join("\n");

/** A Raspberry Pi 4: no clock, no model name per processor; the machine's model after the records. */
export const CPUINFO_ARM = `processor	: 0
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

processor	: 1
BogoMIPS	: 108.00
Features	: fp asimd evtstrm crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd08
CPU revision	: 3

Hardware	: BCM2835
Revision	: c03111
Model		: Raspberry Pi 4 Model B Rev 1.1
`;
