// Validation of the onboarding types from untrusted JSON (a provider's profile, a deployment request, an
// executor's result): JSON text or a parsed object in, the typed value out, or an AccordValidationError naming the
// field's JSON path (`specs.GPUs[1].PCIAddress`) and the rule.
//
// Two passes. The data model's decoder (decodeWithSchema) applies Go's json.Unmarshal rules with the schemas of
// ./schemas.ts, so a document means here what it means to a Go peer: types, integer ranges, exact uint64s,
// addresses. Then the rules Go does not have: non-negative counts, vendors from the reference's enum, PCI addresses,
// bounded strings and lists (a profile is published and indexed: nothing in it may be unbounded), VRAM figures that
// add up, RFC 3339 timestamps.

import { AccordValidationError } from "../model/errors";
import { indexPath, memberPath } from "../model/paths";
import { decodeWithSchema } from "../model/validate";
import type { Schema } from "../model/json";
import {
  deploymentRequestSchema,
  executionRequestSchema,
  executionResultSchema,
  gpuSchema,
  onboardingCapacitySchema,
  onboardingMetadataSchema,
  resourcesSchema,
  specInfoSchema,
  storageVolumeSchema,
} from "./schemas";
import {
  GpuVendor,
  type Cpu,
  type DeploymentRequest,
  type Disk,
  type ExecutionRequest,
  type ExecutionResult,
  type Gpu,
  type GpuInfo,
  type OnboardingCapacity,
  type OnboardingMetadata,
  type Ram,
  type Resources,
  type SpecInfo,
  type StorageVolume,
} from "./types";

/** The bounds the validator enforces. */
export const LIMITS = {
  /** Names, models, vendors, types, hashes, IDs: one line of text. */
  text: 256,
  /** Keys, URLs, paths. */
  longText: 4096,
  /** An execution's stdout / stderr, in characters. */
  output: 1 << 20,
  cpus: 16,
  gpus: 64,
  rams: 256,
  disks: 256,
  packages: 256,
  volumes: 256,
} as const;

/** The vendors a listed GPU may have: the reference's enum without its "None" (no GPU). */
export const GPU_VENDORS: readonly GpuVendor[] = [GpuVendor.NVIDIA, GpuVendor.AMD, GpuVendor.Intel, GpuVendor.Unknown];

/** `DDDD:BB:DD.F` in hex: a 4-digit PCI domain (8 digits on machines with more domains), bus, device, function. */
export const PCI_ADDRESS = /^(?:[0-9a-fA-F]{4}|[0-9a-fA-F]{8}):[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/;

// RFC 3339 as Go's time.Time marshals it (fractional seconds optional, Z or a numeric offset).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The checks of one validation: each takes the value and its JSON path and throws AccordValidationError naming the
 * path, the rule and what was being validated.
 */
export class FieldChecks {
  constructor(readonly subject: string) {}

  fail(path: string, rule: string): never {
    throw new AccordValidationError(path, rule, { subject: this.subject });
  }

  text(value: string, path: string, max: number = LIMITS.text, options: { required?: boolean } = {}): void {
    if (options.required && value.trim() === "") this.fail(path, "must not be empty");
    if (value.length > max) this.fail(path, `must be at most ${max} characters`);
  }

  nonNegative(value: number | bigint, path: string): void {
    if (value < 0) this.fail(path, "must not be negative");
  }

  atLeast(value: number | bigint, min: number | bigint, path: string): void {
    if (value < min) this.fail(path, `must be at least ${min}`);
  }

  atMost(value: number | bigint, max: number | bigint, path: string, what: string): void {
    if (value > max) this.fail(path, `must be at most ${what} (${max})`);
  }

  /** A list of at most `max` items, each checked. A nil list is fine: it is empty. */
  list<T>(items: readonly T[] | null, max: number, path: string, each: (item: T, path: string) => void): void {
    if (items === null) return;
    if (items.length > max) this.fail(path, `must have at most ${max} items`);
    items.forEach((item, i) => each(item, indexPath(path, i)));
  }
}

const at = memberPath;

export function checkGpu(gpu: Gpu, path: string, c: FieldChecks): void {
  c.nonNegative(gpu.Index, at(path, "Index"));
  if (!GPU_VENDORS.includes(gpu.Vendor)) {
    c.fail(at(path, "Vendor"), `must be one of ${GPU_VENDORS.map((vendor) => JSON.stringify(vendor)).join(", ")}`);
  }
  if (gpu.PCIAddress !== "" && !PCI_ADDRESS.test(gpu.PCIAddress)) {
    c.fail(at(path, "PCIAddress"), 'must be a PCI address "DDDD:BB:DD.F" (hex), or empty');
  }
  c.text(gpu.model, at(path, "model"));
  c.atMost(gpu.UsedVRAM, gpu.TotalVRAM, at(path, "UsedVRAM"), "TotalVRAM");
  c.atMost(gpu.FreeVRAM, gpu.TotalVRAM, at(path, "FreeVRAM"), "TotalVRAM");
}

export function checkCpu(cpu: Cpu, path: string, c: FieldChecks): void {
  c.text(cpu.Model, at(path, "Model"));
  c.text(cpu.Vendor, at(path, "Vendor"));
  // A listed CPU has a core; its logical CPUs are at least its cores (hyperthreading only adds).
  c.atLeast(cpu.Cores, 1, at(path, "Cores"));
  c.atLeast(cpu.Threads, cpu.Cores, at(path, "Threads"));
  c.text(cpu.Architecture, at(path, "Architecture"));
}

export function checkRam(ram: Ram, path: string, c: FieldChecks): void {
  c.text(ram.Type, at(path, "Type"));
}

export function checkDisk(disk: Disk, path: string, c: FieldChecks): void {
  for (const field of ["Model", "Vendor", "Type", "Interface"] as const) c.text(disk[field], at(path, field));
}

export function checkSpecInfo(spec: SpecInfo, path: string, c: FieldChecks): void {
  c.list(spec.CPUs, LIMITS.cpus, at(path, "CPUs"), (cpu, p) => checkCpu(cpu, p, c));
  c.list(spec.GPUs, LIMITS.gpus, at(path, "GPUs"), (gpu, p) => checkGpu(gpu, p, c));
  c.list(spec.RAMs, LIMITS.rams, at(path, "RAMs"), (ram, p) => checkRam(ram, p, c));
  c.list(spec.Disks, LIMITS.disks, at(path, "Disks"), (disk, p) => checkDisk(disk, p, c));
  c.text(spec.Network.NetworkType, at(at(path, "Network"), "NetworkType"));
}

export function checkResources(resources: Resources, path: string, c: FieldChecks): void {
  c.nonNegative(resources.CPU, at(path, "CPU"));
  c.list(resources.GPU, LIMITS.gpus, at(path, "GPU"), (gpu, p) => checkGpu(gpu, p, c));
}

function checkGpuInfo(gpu: GpuInfo, path: string, c: FieldChecks): void {
  c.text(gpu.name, at(path, "name"));
  c.atMost(gpu.free_vram, gpu.tot_vram, at(path, "free_vram"), "tot_vram");
}

function checkStorageVolume(volume: StorageVolume, path: string, c: FieldChecks): void {
  c.text(volume.type, at(path, "type"));
  c.text(volume.source, at(path, "source"), LIMITS.longText);
  c.text(volume.target, at(path, "target"), LIMITS.longText);
}

/**
 * Decodes with the data model's Go-compatible decoder, then applies `check` to the typed value. Exposed for
 * Accord's own documents built from these types (the machine profile).
 */
export function decodeChecked<T>(
  input: unknown,
  schema: Schema,
  subject: string,
  check: (value: T, c: FieldChecks) => void,
): T {
  const value = decodeWithSchema(input, schema, subject) as T;
  check(value, new FieldChecks(subject));
  return value;
}

/** A types.SpecInfo (the machine as probed). */
export function parseSpecInfo(input: unknown): SpecInfo {
  return decodeChecked<SpecInfo>(input, specInfoSchema, "machine spec", (spec, c) => checkSpecInfo(spec, "", c));
}

/** A types.GPU. */
export function parseGpu(input: unknown): Gpu {
  return decodeChecked<Gpu>(input, gpuSchema, "GPU", (gpu, c) => checkGpu(gpu, "", c));
}

/** A types.Resources (available, free or required: the same shape). */
export function parseResources(input: unknown): Resources {
  return decodeChecked<Resources>(input, resourcesSchema, "resources", (resources, c) =>
    checkResources(resources, "", c),
  );
}

/** A types.CapacityForNunet (the onboarding request). Its 10–90% rule needs the machine: see rules.ts. */
export function parseOnboardingCapacity(input: unknown): OnboardingCapacity {
  return decodeChecked<OnboardingCapacity>(input, onboardingCapacitySchema, "onboarding capacity", (capacity, c) => {
    c.nonNegative(capacity.memory, "memory");
    c.nonNegative(capacity.cpu, "cpu");
    c.text(capacity.channel, "channel");
  });
}

/** A types.Metadata. */
export function parseOnboardingMetadata(input: unknown): OnboardingMetadata {
  return decodeChecked<OnboardingMetadata>(input, onboardingMetadataSchema, "onboarding metadata", (meta, c) => {
    c.text(meta.name, "name");
    c.nonNegative(meta.update_timestamp, "update_timestamp");
    for (const field of ["memory_max", "total_core", "cpu_max"] as const) {
      c.nonNegative(meta.resource[field], `resource.${field}`);
    }
    for (const part of ["available", "reserved"] as const) {
      c.nonNegative(meta[part].cpu, `${part}.cpu`);
      c.nonNegative(meta[part].memory, `${part}.memory`);
    }
    c.atMost(meta.reserved.cpu, meta.resource.cpu_max, "reserved.cpu", "resource.cpu_max");
    c.atMost(meta.reserved.memory, meta.resource.memory_max, "reserved.memory", "resource.memory_max");
    c.text(meta.network, "network");
    c.text(meta.public_key, "public_key", LIMITS.longText);
    c.text(meta.node_id, "node_id");
    c.list(meta.gpu_info, LIMITS.gpus, "gpu_info", (gpu, p) => checkGpuInfo(gpu, p, c));
    c.text(meta.dashboard, "dashboard", LIMITS.longText);
  });
}

/** A types.DeploymentRequest. */
export function parseDeploymentRequest(input: unknown): DeploymentRequest {
  return decodeChecked<DeploymentRequest>(input, deploymentRequestSchema, "deployment request", (request, c) => {
    c.nonNegative(request.max_ntx, "max_ntx");
    for (const field of [
      "blockchain",
      "tx_hash",
      "service_type",
      "metadata_hash",
      "withdraw_hash",
      "refund_hash",
      "distribute_50_hash",
      "distribute_75_hash",
    ] as const) {
      c.text(request[field], field);
    }
    if (request.timestamp !== "" && !RFC3339.test(request.timestamp)) {
      c.fail("timestamp", "must be an RFC 3339 time (2006-01-02T15:04:05Z07:00), or empty");
    }
    const params = request.params;
    c.text(params.image_id, "params.image_id");
    c.text(params.model_url, "params.model_url", LIMITS.longText);
    c.text(params.resume_job.progress_file, "params.resume_job.progress_file", LIMITS.longText);
    c.list(params.packages, LIMITS.packages, "params.packages", (name, p) => c.text(name, p));
    for (const field of ["node_id", "local_node_id", "machine_type"] as const) c.text(params[field], `params.${field}`);
    for (const field of ["public_key", "local_public_key"] as const) {
      c.text(params[field], `params.${field}`, LIMITS.longText);
    }
    c.text(request.constraints.complexity, "constraints.complexity");
    for (const field of ["cpu", "ram", "vram", "power", "time"] as const) {
      c.nonNegative(request.constraints[field], `constraints.${field}`);
    }
    for (const field of ["trace_id", "span_id", "trace_flags", "trace_state"] as const) {
      c.text(request.traceinfo[field], `traceinfo.${field}`);
    }
  });
}

/** A types.ExecutionRequest. */
export function parseExecutionRequest(input: unknown): ExecutionRequest {
  return decodeChecked<ExecutionRequest>(input, executionRequestSchema, "execution request", (request, c) => {
    c.text(request.JobID, "JobID", LIMITS.text, { required: true });
    c.text(request.ExecutionID, "ExecutionID", LIMITS.text, { required: true });
    c.text(request.EngineSpec.type, "EngineSpec.type", LIMITS.text, { required: true });
    checkResources(request.Resources, "Resources", c);
    c.list(request.Inputs, LIMITS.volumes, "Inputs", (volume, p) => checkStorageVolume(volume, p, c));
    c.list(request.Outputs, LIMITS.volumes, "Outputs", (volume, p) => checkStorageVolume(volume, p, c));
    c.text(request.ResultsDir, "ResultsDir", LIMITS.longText);
  });
}

/** A types.ExecutionResult. */
export function parseExecutionResult(input: unknown): ExecutionResult {
  return decodeChecked<ExecutionResult>(input, executionResultSchema, "execution result", (result, c) => {
    c.text(result.stdout, "stdout", LIMITS.output);
    c.text(result.stderr, "stderr", LIMITS.output);
    c.text(result.error_msg, "error_msg", LIMITS.longText);
  });
}

/** A storage.StorageVolume. */
export function parseStorageVolume(input: unknown): StorageVolume {
  return decodeChecked<StorageVolume>(input, storageVolumeSchema, "storage volume", (volume, c) =>
    checkStorageVolume(volume, "", c),
  );
}
