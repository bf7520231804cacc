// Validation of the reference's onboarding types (src/onboarding/validate.ts): good documents round trip through the
// Go-compatible encoder, and every bad field is refused with its JSON path and the rule named.

import { expect } from "chai";
import { encodeJson } from "../../src/model/json";
import { AccordValidationError } from "../../src/model/errors";
import {
  parseDeploymentRequest,
  parseExecutionRequest,
  parseExecutionResult,
  parseGpu,
  parseOnboardingCapacity,
  parseOnboardingMetadata,
  parseResources,
  parseSpecInfo,
  LIMITS,
} from "../../src/onboarding";
import { gpuSchema, specInfoSchema } from "../../src/onboarding/schemas";
import { MB, sampleSpecs } from "./fixtures";

type Json = Record<string, unknown>;

/** JSON text of a document, bigints written as integers (what a Go peer sends). */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? `@@${item}@@` : item)).replace(
    /"@@(-?\d+)@@"/g,
    "$1",
  );
}

function expectRefused(parse: (input: unknown) => unknown, input: unknown, field: string, rule: RegExp): void {
  let caught: unknown;
  try {
    parse(input);
  } catch (error) {
    caught = error;
  }
  expect(caught, `${field} refused`).to.be.instanceOf(AccordValidationError);
  const error = caught as AccordValidationError;
  expect(error.field).to.equal(field);
  expect(error.rule).to.match(rule);
  expect(error.message).to.contain(field);
}

function gpuJson(overrides: Json = {}): Json {
  return { ...(sampleSpecs().GPUs![0] as unknown as Json), ...overrides };
}

describe("onboarding validation: the machine's spec", () => {
  it("round trips a good spec, from an object and from JSON text, to the same bytes", () => {
    const specs = sampleSpecs();
    const parsed = parseSpecInfo(specs);
    expect(parsed).to.deep.equal(specs);
    expect(parseSpecInfo(jsonText(specs))).to.deep.equal(specs);
    expect(encodeJson(parsed, specInfoSchema)).to.equal(encodeJson(specs, specInfoSchema));
  });

  it("writes the reference's JSON names: Go field names where it has no tag, `model` where it has one", () => {
    const text = encodeJson(sampleSpecs().GPUs![0], gpuSchema);
    expect(text).to.equal(
      `{"Index":0,"Vendor":"NVIDIA","PCIAddress":"0000:01:00.0","model":"NVIDIA GeForce RTX 3090",` +
        `"TotalVRAM":${24576n * MB},"UsedVRAM":${1024n * MB},"FreeVRAM":${23552n * MB}}`,
    );
  });

  it("decodes keys as Go does (case-insensitively; null lists are nil)", () => {
    const parsed = parseSpecInfo({ cpus: null, GPUs: [], network: { bandwidth: 5 } });
    expect(parsed.CPUs).to.equal(null);
    expect(parsed.GPUs).to.deep.equal([]);
    expect(parsed.Network.Bandwidth).to.equal(5n);
  });

  it("keeps uint64 figures exact past 2^53", () => {
    const parsed = parseGpu(`{"Vendor":"AMD/ATI","TotalVRAM":18446744073709551615}`);
    expect(parsed.TotalVRAM).to.equal(18446744073709551615n);
    expect(parsed.Vendor).to.equal("AMD/ATI");
  });

  const badGpus: [string, Json, string, RegExp][] = [
    ["a negative index", { Index: -1 }, "Index", /negative/],
    ["a vendor outside the enum", { Vendor: "Nvidia Corp" }, "Vendor", /NVIDIA.*AMD\/ATI.*Intel/],
    ["the vendor None", { Vendor: "None" }, "Vendor", /must be one of/],
    ["a malformed PCI address", { PCIAddress: "01:00.0" }, "PCIAddress", /PCI address/],
    ["a PCI function above 7", { PCIAddress: "0000:01:00.8" }, "PCIAddress", /PCI address/],
    ["more VRAM used than there is", { UsedVRAM: 25000n * MB }, "UsedVRAM", /TotalVRAM/],
    ["more VRAM free than there is", { FreeVRAM: 25000n * MB }, "FreeVRAM", /TotalVRAM/],
    ["a negative VRAM", { TotalVRAM: -1 }, "TotalVRAM", /unsigned 64-bit/],
    ["a fractional index", { Index: 1.5 }, "Index", /integer/],
    ["a model name past the bound", { model: "x".repeat(LIMITS.text + 1) }, "model", /at most 256 characters/],
    ["a string index", { Index: "0" }, "Index", /integer/],
  ];
  for (const [what, overrides, field, rule] of badGpus) {
    it(`refuses a GPU with ${what}, naming GPUs[1].${field}`, () => {
      const specs = sampleSpecs() as unknown as Json;
      const gpus = specs.GPUs as Json[];
      gpus[1] = gpuJson(overrides);
      expectRefused(parseSpecInfo, jsonText(specs), `GPUs[1].${field}`, rule);
    });
  }

  const badCpus: [string, Json, string, RegExp][] = [
    ["no cores", { Cores: 0 }, "Cores", /at least 1/],
    ["fewer threads than cores", { Cores: 8, Threads: 4 }, "Threads", /at least 8/],
    ["a negative clock", { ClockSpeedHz: -5 }, "ClockSpeedHz", /unsigned/],
    ["a boolean model", { Model: true }, "Model", /string/],
    ["an unbounded architecture", { Architecture: "a".repeat(300) }, "Architecture", /at most/],
  ];
  for (const [what, overrides, field, rule] of badCpus) {
    it(`refuses a CPU with ${what}, naming CPUs[0].${field}`, () => {
      const specs = sampleSpecs() as unknown as Json;
      specs.CPUs = [{ ...(specs.CPUs as Json[])[0], ...overrides }];
      expectRefused(parseSpecInfo, specs, `CPUs[0].${field}`, rule);
    });
  }

  it("refuses lists past their bounds, and non-lists", () => {
    const specs = sampleSpecs() as unknown as Json;
    expectRefused(parseSpecInfo, { ...specs, GPUs: Array(LIMITS.gpus + 1).fill(gpuJson()) }, "GPUs", /at most 64/);
    expectRefused(parseSpecInfo, { ...specs, Disks: {} }, "Disks", /array/);
    expectRefused(parseSpecInfo, { ...specs, RAMs: [{ Size: "1" }] }, "RAMs[0].Size", /unsigned 64-bit/);
    expectRefused(parseSpecInfo, { ...specs, Network: { NetworkType: 3 } }, "Network.NetworkType", /string/);
    expectRefused(parseSpecInfo, "[]", "", /object/);
    expectRefused(parseSpecInfo, "{", "", /valid JSON/);
  });

  it("names what was validated in the message", () => {
    expect(() => parseGpu({ Vendor: "Matrox" })).to.throw(AccordValidationError, /^invalid GPU: Vendor must be one of/);
  });
});

describe("onboarding validation: the reference's other types", () => {
  it("round trips resources, the onboarding request and the metadata", () => {
    const resources = { CPU: 24000, NumCores: 8n, GPU: sampleSpecs().GPUs, RAM: 16384n, Disk: 512000n };
    expect(parseResources(jsonText(resources))).to.deep.equal(resources);
    const capacity = {
      memory: 8192,
      cpu: 12000,
      ntx_price: 10n ** 15n,
      channel: "nunet-test",
      payment_addr: "0x00000000000000000000000000000000000000aa",
      server_mode: false,
      is_available: true,
    };
    expect(parseOnboardingCapacity(capacity)).to.deep.equal(capacity);
    const metadata = {
      name: "box",
      update_timestamp: 1_700_000_000,
      resource: { memory_max: 16384, total_core: 8, cpu_max: 24000 },
      available: { cpu: 12000, memory: 8192 },
      reserved: { cpu: 12000, memory: 8192 },
      network: "nunet-test",
      public_key: "CAESIA",
      node_id: "12D3KooW",
      gpu_info: [{ name: "RTX 3090", tot_vram: 24576n, free_vram: 23552n }],
      dashboard: "",
      ntx_price: 5n,
    };
    expect(parseOnboardingMetadata(jsonText(metadata))).to.deep.equal(metadata);
  });

  it("refuses bad fields of the onboarding request and metadata, naming them", () => {
    expectRefused(parseOnboardingCapacity, { memory: -1 }, "memory", /negative/);
    expectRefused(parseOnboardingCapacity, { cpu: 1.25 }, "cpu", /integer/);
    expectRefused(parseOnboardingCapacity, { payment_addr: "0x12" }, "payment_addr", /address/);
    expectRefused(parseOnboardingCapacity, { ntx_price: -1 }, "ntx_price", /unsigned/);
    expectRefused(parseResources, { CPU: -1 }, "CPU", /negative/);
    expectRefused(parseResources, { GPU: [{ Vendor: "x" }] }, "GPU[0].Vendor", /must be one of/);
    expectRefused(
      parseOnboardingMetadata,
      { resource: { cpu_max: 100 }, reserved: { cpu: 101 } },
      "reserved.cpu",
      /resource.cpu_max/,
    );
    expectRefused(parseOnboardingMetadata, { available: { memory: -3 } }, "available.memory", /negative/);
    expectRefused(
      parseOnboardingMetadata,
      { gpu_info: [{ tot_vram: 1, free_vram: 2 }] },
      "gpu_info[0].free_vram",
      /tot_vram/,
    );
  });

  it("round trips a deployment request and refuses its bad fields", () => {
    const request = {
      address_user: "0x00000000000000000000000000000000000000bb",
      max_ntx: 100,
      blockchain: "ethereum",
      tx_hash: "0xabc",
      service_type: "ml-training-gpu",
      timestamp: "2025-01-15T01:10:16.552665Z",
      metadata_hash: "m",
      withdraw_hash: "w",
      refund_hash: "r",
      distribute_50_hash: "d50",
      distribute_75_hash: "d75",
      params: {
        image_id: "registry/image:tag",
        model_url: "https://example.org/model.py",
        resume_job: { resume: true, progress_file: "/tmp/progress" },
        packages: ["numpy", "torch"],
        node_id: "12D3KooWremote",
        public_key: "CAESIremote",
        local_node_id: "12D3KooWlocal",
        local_public_key: "CAESIlocal",
        machine_type: "gpu",
      },
      constraints: { complexity: "Moderate", cpu: 2000, ram: 4096, vram: 8192, power: 170, time: 30 },
      traceinfo: { trace_id: "t", span_id: "s", trace_flags: "01", trace_state: "" },
    };
    expect(parseDeploymentRequest(jsonText(request))).to.deep.equal(request);
    expectRefused(parseDeploymentRequest, { ...request, timestamp: "yesterday" }, "timestamp", /RFC 3339/);
    expectRefused(parseDeploymentRequest, { ...request, max_ntx: -1 }, "max_ntx", /negative/);
    expectRefused(parseDeploymentRequest, { ...request, address_user: "bob" }, "address_user", /address/);
    expectRefused(
      parseDeploymentRequest,
      { ...request, constraints: { ...request.constraints, time: -30 } },
      "constraints.time",
      /negative/,
    );
    expectRefused(
      parseDeploymentRequest,
      { ...request, params: { ...request.params, packages: ["ok", 7] } },
      "params.packages[1]",
      /string/,
    );
    expectRefused(
      parseDeploymentRequest,
      { ...request, params: { ...request.params, packages: Array(LIMITS.packages + 1).fill("p") } },
      "params.packages",
      /at most 256 items/,
    );
  });

  it("round trips an execution request and result and refuses their bad fields", () => {
    const request = {
      JobID: "job-1",
      ExecutionID: "exec-1",
      EngineSpec: { type: "docker", params: { image: "alpine", env: ["A=1"] } },
      Resources: { CPU: 1000, NumCores: 1n, GPU: null, RAM: 512n, Disk: 1024n },
      Inputs: [{ type: "bind", source: "/data", target: "/in", readonly: true }],
      Outputs: null,
      ResultsDir: "/results",
    };
    expect(parseExecutionRequest(jsonText(request))).to.deep.equal(request);
    expectRefused(parseExecutionRequest, { ...request, JobID: "" }, "JobID", /empty/);
    expectRefused(parseExecutionRequest, { ...request, EngineSpec: { type: " " } }, "EngineSpec.type", /empty/);
    expectRefused(
      parseExecutionRequest,
      { ...request, Inputs: [{ readonly: "yes" }] },
      "Inputs[0].readonly",
      /boolean/,
    );
    const failed = { stdout: "", stderr: "boom", exit_code: -1, error_msg: "container exited" };
    expect(parseExecutionResult(failed)).to.deep.equal(failed);
    expectRefused(parseExecutionResult, { exit_code: "1" }, "exit_code", /integer/);
    expectRefused(parseExecutionResult, { stdout: "x".repeat(LIMITS.output + 1) }, "stdout", /at most/);
  });
});
