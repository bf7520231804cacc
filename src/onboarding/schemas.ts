// The onboarding types as the data model's encoder/decoder schemas (src/model/json.ts): JSON names in the Go
// declaration order. The machine profile's CID is computed over these bytes, so changing an order here changes
// every profile's CID.

import { goBool, goInt, goMap, goSlice, goString, goStruct, goUint64, goUint8, opaqueJson } from "../model/json";

export const gpuSchema = goStruct("GPU", [
  ["Index", goInt],
  ["Vendor", goString()],
  ["PCIAddress", goString()],
  ["model", goString()],
  ["TotalVRAM", goUint64],
  ["UsedVRAM", goUint64],
  ["FreeVRAM", goUint64],
]);

export const cpuSchema = goStruct("CPU", [
  ["Model", goString()],
  ["Vendor", goString()],
  ["ClockSpeedHz", goUint64],
  ["Cores", goInt],
  ["Threads", goInt],
  ["Architecture", goString()],
  ["CacheSize", goUint64],
]);

export const ramSchema = goStruct("RAM", [
  ["Size", goUint64],
  ["ClockSpeedHz", goUint64],
  ["Type", goString()],
]);

export const diskSchema = goStruct("Disk", [
  ["Model", goString()],
  ["Vendor", goString()],
  ["Size", goUint64],
  ["Type", goString()],
  ["Interface", goString()],
  ["ReadSpeed", goUint64],
  ["WriteSpeed", goUint64],
]);

export const networkInfoSchema = goStruct("NetworkInfo", [
  ["Bandwidth", goUint64],
  ["NetworkType", goString()],
]);

export const specInfoSchema = goStruct("SpecInfo", [
  ["CPUs", goSlice(cpuSchema)],
  ["GPUs", goSlice(gpuSchema)],
  ["RAMs", goSlice(ramSchema)],
  ["Disks", goSlice(diskSchema)],
  ["Network", networkInfoSchema],
]);

export const resourcesSchema = goStruct("Resources", [
  ["CPU", goInt],
  ["NumCores", goUint64],
  ["GPU", goSlice(gpuSchema)],
  ["RAM", goUint64],
  ["Disk", goUint64],
]);

export const onboardingCapacitySchema = goStruct("CapacityForNunet", [
  ["memory", goInt],
  ["cpu", goInt],
  ["ntx_price", goUint64],
  ["channel", goString()],
  ["payment_addr", goString("address")],
  ["server_mode", goBool],
  ["is_available", goBool],
]);

export const provisionedSchema = goStruct("Provisioned", [
  ["cpu", goInt],
  ["memory", goUint64],
  ["total_cores", goUint64],
]);

const cpuMemorySchema = goStruct("CpuMemory", [
  ["cpu", goInt],
  ["memory", goInt],
]);

export const gpuInfoSchema = goStruct("Gpu", [
  ["name", goString()],
  ["tot_vram", goUint64],
  ["free_vram", goUint64],
]);

export const onboardingMetadataSchema = goStruct("Metadata", [
  ["name", goString()],
  ["update_timestamp", goInt],
  [
    "resource",
    goStruct("MetadataResource", [
      ["memory_max", goInt],
      ["total_core", goInt],
      ["cpu_max", goInt],
    ]),
  ],
  ["available", cpuMemorySchema],
  ["reserved", cpuMemorySchema],
  ["network", goString()],
  ["public_key", goString()],
  ["node_id", goString()],
  ["gpu_info", goSlice(gpuInfoSchema)],
  ["dashboard", goString()],
  ["ntx_price", goUint64],
]);

export const deploymentRequestSchema = goStruct("DeploymentRequest", [
  ["address_user", goString("address")],
  ["max_ntx", goInt],
  ["blockchain", goString()],
  ["tx_hash", goString()],
  ["service_type", goString()],
  ["timestamp", goString()],
  ["metadata_hash", goString()],
  ["withdraw_hash", goString()],
  ["refund_hash", goString()],
  ["distribute_50_hash", goString()],
  ["distribute_75_hash", goString()],
  [
    "params",
    goStruct("DeploymentParams", [
      ["image_id", goString()],
      ["model_url", goString()],
      [
        "resume_job",
        goStruct("ResumeJob", [
          ["resume", goBool],
          ["progress_file", goString()],
        ]),
      ],
      ["packages", goSlice(goString())],
      ["node_id", goString()],
      ["public_key", goString()],
      ["local_node_id", goString()],
      ["local_public_key", goString()],
      ["machine_type", goString()],
    ]),
  ],
  [
    "constraints",
    goStruct("DeploymentConstraints", [
      ["complexity", goString()],
      ["cpu", goInt],
      ["ram", goInt],
      ["vram", goInt],
      ["power", goInt],
      ["time", goInt],
    ]),
  ],
  [
    "traceinfo",
    goStruct("TraceInfo", [
      ["trace_id", goString()],
      ["span_id", goString()],
      ["trace_flags", goString()],
      ["trace_state", goString()],
    ]),
  ],
]);

export const specConfigSchema = goStruct("SpecConfig", [
  ["type", goString()],
  ["params", goMap(opaqueJson)],
]);

export const storageVolumeSchema = goStruct("StorageVolume", [
  ["type", goString()],
  ["source", goString()],
  ["target", goString()],
  ["readonly", goBool],
]);

export const executionRequestSchema = goStruct("ExecutionRequest", [
  ["JobID", goString()],
  ["ExecutionID", goString()],
  ["EngineSpec", specConfigSchema],
  ["Resources", resourcesSchema],
  ["Inputs", goSlice(storageVolumeSchema)],
  ["Outputs", goSlice(storageVolumeSchema)],
  ["ResultsDir", goString()],
]);

export const executionResultSchema = goStruct("ExecutionResult", [
  ["stdout", goString()],
  ["stderr", goString()],
  ["exit_code", goInt],
  ["error_msg", goString()],
]);

/** Accord's machine profile (./profile.ts): the reference's SpecInfo, what is onboarded of it, and the price. */
export const machineProfileSchema = goStruct("MachineProfile", [
  ["version", goUint8],
  ["name", goString()],
  ["specs", specInfoSchema],
  [
    "onboarded",
    goStruct("Onboarded", [
      ["cpu_mhz", goUint64],
      ["memory_mb", goUint64],
    ]),
  ],
  ["price_per_minute", goUint64],
]);
