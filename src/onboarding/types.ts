// The reference document's (001) machine, resource, onboarding, deployment and execution types, with its JSON names.
//
// JSON names are the reference's: its `json:"…"` tag where it has one, else the Go field name (what Go's
// encoding/json writes for an untagged field: `PCIAddress`, `TotalVRAM`, …), so a document a Go peer marshals decodes
// here and the other way round. Go integers keep their kinds: `int` is a JS number (a safe integer), `uint64` a
// bigint. Where the reference has a float64 (CPU MHz, prices in NTX) Accord carries an integer (MHz, the token's
// smallest unit): content-addressed documents must not depend on float formatting, and the contracts count in
// integers. Units are binary: 1 MB = 2^20 bytes (MiB, what nvidia-smi and the reference's memory figures count),
// 1 GB = 2^30 bytes.
//
// The schemas that encode and decode them (field order = the Go declaration) are in ./schemas.ts.

import type { JsonValue } from "../model/types";

/** GPUVendor: the maker of a GPU, as the reference spells it. */
export const GpuVendor = {
  NVIDIA: "NVIDIA",
  AMD: "AMD/ATI",
  Intel: "Intel",
  Unknown: "Unknown",
  /** The reference's "no GPU": never the vendor of a listed GPU (the validator refuses it there). */
  None: "None",
} as const;
export type GpuVendor = (typeof GpuVendor)[keyof typeof GpuVendor];

/** types.GPU: one GPU of the machine. VRAM in bytes (the reference's figures from NVML are bytes). */
export type Gpu = {
  /** The device's self-reported index in the system. */
  Index: number;
  Vendor: GpuVendor;
  /** PCI address, `DDDD:BB:DD.F` (domain, bus, device, function; hex); an 8-digit domain when it needs one. */
  PCIAddress: string;
  /** Model name ("Tesla T4", "NVIDIA A100-SXM4-40GB"); the one field the reference tags (`json:"model"`). */
  model: string;
  TotalVRAM: bigint;
  UsedVRAM: bigint;
  FreeVRAM: bigint;
};

/** types.CPU: one CPU package (socket). */
export type Cpu = {
  /** "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz", "AMD Ryzen 9 5900X". */
  Model: string;
  /** "Intel", "AMD", "ARM", … (free text in the reference). */
  Vendor: string;
  /** Clock speed per core, Hz. */
  ClockSpeedHz: bigint;
  /** Physical cores. */
  Cores: number;
  /** Logical CPUs (hyperthreads included): what the MHz total is summed over, as in the reference. */
  Threads: number;
  /** "x86_64", "arm64", … */
  Architecture: string;
  /** Bytes. */
  CacheSize: bigint;
};

/** types.RAM. */
export type Ram = {
  /** Bytes. */
  Size: bigint;
  /** Hz; 0 when unknown. */
  ClockSpeedHz: bigint;
  /** "DDR4", "DDR5", …; "" when unknown. */
  Type: string;
};

/** types.Disk: a filesystem with its capacity (a probe sees mounted filesystems, not drives). */
export type Disk = {
  Model: string;
  Vendor: string;
  /** Bytes. */
  Size: bigint;
  /** "SSD", "HDD", "NVMe"; "" when unknown. */
  Type: string;
  /** "SATA", "PCIe", "M.2"; "" when unknown. */
  Interface: string;
  /** Bytes per second; 0 when unknown. */
  ReadSpeed: bigint;
  WriteSpeed: bigint;
};

/** types.NetworkInfo. */
export type NetworkInfo = {
  /** Bits per second; 0 when unknown. */
  Bandwidth: bigint;
  /** "Ethernet", "Wi-Fi", "Cellular"; "" when unknown. */
  NetworkType: string;
};

/** types.SpecInfo: the machine as probed. A nil (Go) list is `null`. */
export type SpecInfo = {
  CPUs: Cpu[] | null;
  GPUs: Gpu[] | null;
  RAMs: Ram[] | null;
  Disks: Disk[] | null;
  Network: NetworkInfo;
};

/** types.Resources: CPU (MHz summed over logical cores), cores, GPUs, RAM (MB) and disk (MB). */
export type Resources = {
  /** MHz summed over the logical cores (a float64 of Hz in the reference's FreeResources; MHz integers here). */
  CPU: number;
  NumCores: bigint;
  GPU: Gpu[] | null;
  /** MB. */
  RAM: bigint;
  /** MB. */
  Disk: bigint;
};

/** types.AvailableResources: what the provider onboarded (gave the network), despite the name. */
export type AvailableResources = Resources;
/** types.FreeResources: onboarded minus what the running jobs require; what a new job may take. */
export type FreeResources = Resources;
/** types.RequiredResources: what the jobs running on the machine require. */
export type RequiredResources = Resources;

/** types.CapacityForNunet: the onboarding request. */
export type OnboardingCapacity = {
  /** MB onboarded. */
  memory: number;
  /** MHz onboarded (summed over cores). */
  cpu: number;
  /** Price per minute in the token's smallest unit (a float64 of NTX in the reference). */
  ntx_price: bigint;
  channel: string;
  /** Where payments go: an address, or "". */
  payment_addr: string;
  server_mode: boolean;
  is_available: boolean;
};

/** types.Provisioned: what the machine has in total. */
export type Provisioned = {
  /** MHz summed over the logical cores. */
  cpu: number;
  /** MB. */
  memory: bigint;
  total_cores: bigint;
};

/** The CPU and memory halves of the reference's Metadata.available / Metadata.reserved. */
export type CpuMemory = {
  /** MHz. */
  cpu: number;
  /** MB. */
  memory: number;
};

/** types.Gpu: the short GPU record of the reference's Metadata and PeerData. VRAM in MB. */
export type GpuInfo = {
  name: string;
  tot_vram: bigint;
  free_vram: bigint;
};

/** types.Metadata: the reference's machine metadata after onboarding. */
export type OnboardingMetadata = {
  name: string;
  /** Unix seconds. */
  update_timestamp: number;
  /** The machine's totals: memory (MB), logical cores, CPU (MHz summed). */
  resource: { memory_max: number; total_core: number; cpu_max: number };
  /** Misleading name kept for compatibility: what stays with the host (total − onboarded), not what jobs may use. */
  available: CpuMemory;
  /** Misleading name kept for compatibility: what the provider onboarded (gave the network), not a reservation. */
  reserved: CpuMemory;
  network: string;
  public_key: string;
  node_id: string;
  gpu_info: GpuInfo[] | null;
  dashboard: string;
  /** Price per minute in the token's smallest unit. */
  ntx_price: bigint;
};

/** types.DeploymentRequest: a service provider's request to run a job on a machine. */
export type DeploymentRequest = {
  /** The requester's (service provider's) wallet address. */
  address_user: string;
  /** The most the requester pays, in the token's smallest unit. */
  max_ntx: number;
  blockchain: string;
  tx_hash: string;
  service_type: string;
  /** RFC 3339 (Go's time.Time in JSON). */
  timestamp: string;
  metadata_hash: string;
  withdraw_hash: string;
  refund_hash: string;
  distribute_50_hash: string;
  distribute_75_hash: string;
  params: DeploymentParams;
  constraints: DeploymentConstraints;
  traceinfo: TraceInfo;
};

export type DeploymentParams = {
  image_id: string;
  model_url: string;
  resume_job: { resume: boolean; progress_file: string };
  packages: string[] | null;
  /** The compute provider's node (the machine the job is deployed on). */
  node_id: string;
  /** The compute provider's public key. */
  public_key: string;
  /** The service provider's node (the one asking). */
  local_node_id: string;
  local_public_key: string;
  machine_type: string;
};

/** What the job needs: CPU MHz, RAM MB, VRAM MB, power, and `time` (minutes) it may run at most. */
export type DeploymentConstraints = {
  complexity: string;
  cpu: number;
  ram: number;
  vram: number;
  power: number;
  time: number;
};

export type TraceInfo = {
  trace_id: string;
  span_id: string;
  trace_flags: string;
  trace_state: string;
};

export type DeploymentResponse = { success: boolean; content: string };

export type DeploymentUpdate = { msg_type: string; msg: string };

/** types.SpecConfig: an engine or volume spec: a type and free parameters. */
export type SpecConfig = {
  type: string;
  params: Record<string, JsonValue> | null;
};

/** storage.StorageVolume: a prepared volume mounted into an execution. */
export type StorageVolume = {
  type: string;
  source: string;
  target: string;
  readonly: boolean;
};

/** types.ExecutionRequest: what an executor gets to run a job (untagged Go fields: their Go names). */
export type ExecutionRequest = {
  JobID: string;
  ExecutionID: string;
  EngineSpec: SpecConfig;
  Resources: Resources;
  Inputs: StorageVolume[] | null;
  Outputs: StorageVolume[] | null;
  ResultsDir: string;
};

/** types.ExecutionResult. A failed execution (NewFailedExecutionResult) has exit code -1 and its error. */
export type ExecutionResult = {
  stdout: string;
  stderr: string;
  exit_code: number;
  error_msg: string;
};
