// The local machine, probed into the reference's SpecInfo: CPUs from /proc/cpuinfo (model, vendor, clock, cores,
// threads, cache) or os.cpus() where there is none, memory from os.totalmem, filesystems from /proc/mounts with
// fs.statfs (pseudo filesystems skipped), NVIDIA GPUs from `nvidia-smi` when it is installed, the network from
// os.networkInterfaces and /sys/class/net. The two text formats have pure parsers, tested on sample outputs.

import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import { AccordError } from "../model/errors";
import { GpuVendor, type Cpu, type Disk, type Gpu, type NetworkInfo, type SpecInfo } from "./types";

/** A probe's input text (nvidia-smi's CSV, /proc/cpuinfo) that is not what the format promises. */
export class ProbeParseError extends AccordError {
  override name = "ProbeParseError";

  constructor(
    readonly source: "nvidia-smi" | "/proc/cpuinfo",
    /** 1-based; 0 for the text as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}${line > 0 ? ` line ${line}` : ""}: ${reason}`);
  }
}

/** The query `parseNvidiaSmiCsv` reads the answer to (its fields in this order). */
export const NVIDIA_SMI_ARGS = [
  "--query-gpu=index,name,pci.bus_id,memory.total,memory.used,memory.free",
  "--format=csv,noheader,nounits",
] as const;

const MIB = 1n << 20n;
const NVIDIA_BUS_ID = /^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/**
 * nvidia-smi's PCI bus ID ("00000000:01:00.0": an 8-digit domain) as the reference writes PCI addresses
 * ("0000:01:00.0"), lower case; the 8-digit domain kept when its upper half is not zero.
 */
export function normalizePciAddress(busId: string): string | undefined {
  const match = NVIDIA_BUS_ID.exec(busId.trim());
  if (!match) return undefined;
  const domain = match[1].padStart(8, "0");
  const short = domain.startsWith("0000") ? domain.slice(4) : domain;
  return `${short}:${match[2]}:${match[3]}.${match[4]}`.toLowerCase();
}

function mibField(text: string, line: number, field: string, optional: boolean): bigint {
  // "[N/A]" is what nvidia-smi prints for a figure the device does not report (used/free memory under MIG, say).
  if (optional && text === "[N/A]") return 0n;
  if (!/^\d+$/.test(text)) throw new ProbeParseError("nvidia-smi", line, `${field} must be a whole number of MiB`);
  return BigInt(text) * MIB;
}

/**
 * The GPUs in the output of `nvidia-smi` with NVIDIA_SMI_ARGS: one line per GPU,
 * `index, name, pci.bus_id, memory.total, memory.used, memory.free` (MiB). No lines (or nvidia-smi's
 * "No devices were found") means no GPUs; a line that is not six such fields is a ProbeParseError naming it.
 */
export function parseNvidiaSmiCsv(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const number = i + 1;
    if (line === "") continue;
    if (/^No devices were found/i.test(line)) continue;
    // nvidia-smi does not quote: a name with a comma would shift the fields, so the count is checked.
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length !== 6) {
      throw new ProbeParseError("nvidia-smi", number, `expected 6 comma-separated fields, got ${fields.length}`);
    }
    const [index, name, busId, total, used, free] = fields;
    if (!/^\d+$/.test(index)) throw new ProbeParseError("nvidia-smi", number, "index must be a whole number");
    if (name === "") throw new ProbeParseError("nvidia-smi", number, "name is empty");
    const pciAddress = normalizePciAddress(busId);
    if (pciAddress === undefined) {
      throw new ProbeParseError("nvidia-smi", number, `pci.bus_id "${busId}" is not a PCI address`);
    }
    gpus.push({
      Index: Number(index),
      Vendor: GpuVendor.NVIDIA,
      PCIAddress: pciAddress,
      model: name,
      TotalVRAM: mibField(total, number, "memory.total", false),
      UsedVRAM: mibField(used, number, "memory.used", true),
      FreeVRAM: mibField(free, number, "memory.free", true),
    });
  }
  return gpus;
}

const CPU_VENDORS: Record<string, string> = {
  GenuineIntel: "Intel",
  AuthenticAMD: "AMD",
  HygonGenuine: "Hygon",
  CentaurHauls: "Centaur",
};

// ARM's "CPU implementer" codes for the common makers.
const ARM_IMPLEMENTERS: Record<string, string> = {
  "0x41": "ARM",
  "0x42": "Broadcom",
  "0x43": "Cavium",
  "0x48": "HiSilicon",
  "0x4e": "NVIDIA",
  "0x51": "Qualcomm",
  "0x53": "Samsung",
  "0x61": "Apple",
  "0xc0": "Ampere",
};

/** "512 KB", "32768 KB", "8 MB" → bytes; undefined for anything else. */
function cacheBytes(text: string | undefined): bigint | undefined {
  const match = text === undefined ? null : /^(\d+)\s*([KMG])i?B$/i.exec(text.trim());
  if (!match) return undefined;
  const shift = { K: 10n, M: 20n, G: 30n }[match[2].toUpperCase() as "K" | "M" | "G"];
  return BigInt(match[1]) << shift;
}

/**
 * The CPU packages (sockets) in /proc/cpuinfo, in order of their `physical id`: one record per logical CPU
 * (`processor`), `key : value` lines, blank lines between records. Threads are a package's records; cores its
 * distinct `core id`s (else its `cpu cores`, else its threads); the clock the highest `cpu MHz` among them (ARM
 * kernels print none: 0, for the caller to fill in). A line without a colon, or text with no `processor` record, is
 * a ProbeParseError. `architecture` is what the text does not say (os.arch(), named as the reference names it).
 */
export function parseCpuInfo(text: string, architecture: string): Cpu[] {
  type Entry = { fields: Map<string, string>; line: number };
  const entries: Entry[] = [];
  let current: Entry | undefined;
  const shared = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") {
      current = undefined;
      return;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ProbeParseError("/proc/cpuinfo", i + 1, `expected "key : value", got "${line}"`);
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "processor") {
      current = { fields: new Map(), line: i + 1 };
      entries.push(current);
    }
    // Lines outside a processor record (ARM's trailing "Hardware", "Model") describe the whole machine.
    (current?.fields ?? shared).set(key, value);
  });
  if (entries.length === 0) throw new ProbeParseError("/proc/cpuinfo", 0, 'no "processor" record');

  const packages = new Map<string, Entry[]>();
  for (const entry of entries) {
    const id = entry.fields.get("physical id") ?? "0";
    packages.set(id, [...(packages.get(id) ?? []), entry]);
  }
  return [...packages.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, records]) => {
      const first = records[0].fields;
      const get = (key: string): string | undefined => first.get(key) ?? shared.get(key);
      const mhz = Math.max(0, ...records.map((record) => Number(record.fields.get("cpu MHz") ?? 0) || 0));
      const coreIds = new Set(records.map((record) => record.fields.get("core id")).filter((id) => id !== undefined));
      const declaredCores = Number(get("cpu cores"));
      const cores =
        coreIds.size > 0 ? coreIds.size : Number.isSafeInteger(declaredCores) ? declaredCores : records.length;
      const vendorId = get("vendor_id");
      const implementer = get("CPU implementer")?.toLowerCase();
      return {
        Model: get("model name") ?? get("Model") ?? get("cpu model") ?? get("Hardware") ?? "",
        Vendor:
          (vendorId && (CPU_VENDORS[vendorId] ?? vendorId)) ||
          (implementer && (ARM_IMPLEMENTERS[implementer] ?? implementer)) ||
          "",
        ClockSpeedHz: BigInt(Math.round(mhz * 1_000_000)),
        Cores: Math.max(1, Math.min(cores, records.length)),
        Threads: records.length,
        Architecture: architecture,
        CacheSize: cacheBytes(get("cache size")) ?? 0n,
      };
    });
}

/** os.arch() as the reference names architectures ("x86_64", "arm64", …). */
export function referenceArchitecture(arch: string = os.arch()): string {
  return ({ x64: "x86_64", ia32: "x86", arm64: "arm64", arm: "arm" } as Record<string, string>)[arch] ?? arch;
}

/** Filesystem types that hold no user data (kernel interfaces, memory, snap images): not disks. */
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "fusectl",
  "hugetlbfs",
  "mqueue",
  "nsfs",
  "proc",
  "pstore",
  "ramfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "sysfs",
  "tmpfs",
  "tracefs",
]);

/** A mounted filesystem from /proc/mounts. */
export type MountEntry = { source: string; mountPoint: string; type: string };

/** /proc/mounts: `source mountpoint type options dump pass`, octal escapes (`\040` for a space) decoded. */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (field: string): string =>
    field.replace(/\\([0-7]{3})/g, (_match, code: string) => String.fromCharCode(parseInt(code, 8)));
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map(([source, mountPoint, type]) => ({ source: unescape(source), mountPoint: unescape(mountPoint), type }));
}

/** What `probe` found: the name and specs a profile is made of, and what could not be probed. */
export type MachineProbe = {
  /** The host name. */
  name: string;
  specs: SpecInfo;
  /** Memory free now, in bytes (not part of a profile: it changes by the second). */
  freeMemory: bigint;
  /** Steps that failed and were left out (nvidia-smi exiting with an error, say). */
  warnings: string[];
};

export type ProbeOptions = {
  /** The nvidia-smi binary; default "nvidia-smi" on the PATH. */
  nvidiaSmi?: string;
  /** How long nvidia-smi may take, ms; default 10000. */
  timeoutMs?: number;
};

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

async function probeCpus(warnings: string[]): Promise<Cpu[]> {
  const architecture = referenceArchitecture();
  const logical = os.cpus();
  const speedMhz = Math.max(0, ...logical.map((cpu) => cpu.speed));
  const text = await readText("/proc/cpuinfo");
  if (text !== undefined) {
    try {
      // ARM kernels give no clock in /proc/cpuinfo: os.cpus() reads it from cpufreq.
      return parseCpuInfo(text, architecture).map((cpu) =>
        cpu.ClockSpeedHz === 0n ? { ...cpu, ClockSpeedHz: BigInt(speedMhz) * 1_000_000n } : cpu,
      );
    } catch (error) {
      warnings.push(`/proc/cpuinfo: ${(error as Error).message}; using os.cpus()`);
    }
  }
  if (logical.length === 0) return [];
  // No /proc/cpuinfo (macOS, Windows): one package of os.cpus()'s logical CPUs; physical cores unknown, so equal.
  return [
    {
      Model: logical[0].model.trim(),
      Vendor: /intel/i.test(logical[0].model) ? "Intel" : /amd/i.test(logical[0].model) ? "AMD" : "",
      ClockSpeedHz: BigInt(speedMhz) * 1_000_000n,
      Cores: logical.length,
      Threads: logical.length,
      Architecture: architecture,
      CacheSize: 0n,
    },
  ];
}

async function probeDisks(): Promise<Disk[]> {
  const text = await readText("/proc/mounts");
  if (text === undefined) return [];
  const disks: Disk[] = [];
  const seen = new Set<string>();
  for (const mount of parseMounts(text)) {
    if (PSEUDO_FILESYSTEMS.has(mount.type)) continue;
    // One filesystem mounted at several places (bind mounts) is one disk.
    if (seen.has(mount.source)) continue;
    let size: bigint;
    try {
      const stats = await fs.statfs(mount.mountPoint, { bigint: true });
      size = stats.blocks * stats.bsize;
    } catch {
      continue;
    }
    if (size === 0n) continue;
    seen.add(mount.source);
    const nvme = /^\/dev\/nvme/.test(mount.source);
    disks.push({
      Model: "",
      Vendor: "",
      Size: size,
      Type: nvme ? "NVMe" : "",
      Interface: nvme ? "PCIe" : "",
      ReadSpeed: 0n,
      WriteSpeed: 0n,
    });
  }
  return disks;
}

function runNvidiaSmi(binary: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...NVIDIA_SMI_ARGS], { timeout: timeoutMs, encoding: "utf8" }, (error, stdout) => {
      if (!error) return resolve(stdout);
      // Not installed: a machine without NVIDIA GPUs, not a failure.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return resolve(undefined);
      reject(new Error(error.message, { cause: error }));
    });
  });
}

async function probeGpus(options: ProbeOptions, warnings: string[]): Promise<Gpu[]> {
  try {
    const output = await runNvidiaSmi(options.nvidiaSmi ?? "nvidia-smi", options.timeoutMs ?? 10_000);
    return output === undefined ? [] : parseNvidiaSmiCsv(output);
  } catch (error) {
    // Installed but failing (no driver loaded, a timeout) or unreadable: probe the rest, say what happened.
    warnings.push(`nvidia-smi: ${(error as Error).message.split("\n")[0]}; no GPUs listed`);
    return [];
  }
}

/** The fastest non-internal interface: its speed from /sys/class/net (Mb/s) and whether it is wireless. */
async function probeNetwork(): Promise<NetworkInfo> {
  let best: NetworkInfo = { Bandwidth: 0n, NetworkType: "" };
  const interfaces = os.networkInterfaces();
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (!addresses || addresses.every((address) => address.internal)) continue;
    const speed = Number((await readText(`/sys/class/net/${name}/speed`))?.trim());
    const wireless = (await readText(`/sys/class/net/${name}/phy80211/name`)) !== undefined;
    const candidate: NetworkInfo = {
      // The kernel reports -1 (or fails to read) when the link speed is unknown.
      Bandwidth: Number.isSafeInteger(speed) && speed > 0 ? BigInt(speed) * 1_000_000n : 0n,
      NetworkType: wireless ? "Wi-Fi" : "Ethernet",
    };
    if (best.NetworkType === "" || candidate.Bandwidth > best.Bandwidth) best = candidate;
  }
  return best;
}

/** Probes this machine. Never fails for a missing source: what cannot be read is left out (see `warnings`). */
export async function probe(options: ProbeOptions = {}): Promise<MachineProbe> {
  const warnings: string[] = [];
  const [cpus, disks, gpus, network] = await Promise.all([
    probeCpus(warnings),
    probeDisks(),
    probeGpus(options, warnings),
    probeNetwork(),
  ]);
  return {
    name: os.hostname(),
    specs: {
      CPUs: cpus,
      GPUs: gpus,
      // The OS reports one total; module sizes, clocks and types need root (dmidecode) and are left unknown.
      RAMs: [{ Size: BigInt(os.totalmem()), ClockSpeedHz: 0n, Type: "" }],
      Disks: disks,
      Network: network,
    },
    freeMemory: BigInt(os.freemem()),
    warnings,
  };
}
