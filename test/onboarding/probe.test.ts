// The machine probe (src/onboarding/probe.ts): the nvidia-smi and /proc/cpuinfo parsers on sample outputs, and
// `probe()` on this machine giving specs that validate and a profile that can be built from them.

import { expect } from "chai";
import {
  buildMachineProfile,
  getMachineProfileId,
  normalizePciAddress,
  parseCpuInfo,
  parseMounts,
  parseNvidiaSmiCsv,
  parseSpecInfo,
  probe,
  ProbeParseError,
} from "../../src/onboarding";
import { CPUINFO_ARM, CPUINFO_TWO_SOCKETS, CPUINFO_X86, MB, NVIDIA_SMI_ONE, NVIDIA_SMI_SEVERAL } from "./fixtures";

describe("probe: nvidia-smi's CSV", () => {
  it("reads one GPU, its VRAM in bytes and its PCI address as the reference writes it", () => {
    expect(parseNvidiaSmiCsv(NVIDIA_SMI_ONE)).to.deep.equal([
      {
        Index: 0,
        Vendor: "NVIDIA",
        PCIAddress: "0000:01:00.0",
        model: "NVIDIA GeForce RTX 3090",
        TotalVRAM: 24576n * MB,
        UsedVRAM: 1024n * MB,
        FreeVRAM: 23552n * MB,
      },
    ]);
  });

  it("reads several, domains shortened to 4 digits, [N/A] used/free figures as 0", () => {
    const gpus = parseNvidiaSmiCsv(NVIDIA_SMI_SEVERAL);
    expect(gpus.map((gpu) => [gpu.Index, gpu.PCIAddress, gpu.TotalVRAM / MB, gpu.UsedVRAM])).to.deep.equal([
      [0, "0000:07:00.0", 40960n, 0n],
      [1, "0000:0f:00.0", 40960n, 3n * MB],
      [2, "0001:3b:00.0", 15360n, 0n],
    ]);
    // What the parser gives validates as the reference's GPUs.
    expect(parseSpecInfo({ GPUs: gpus }).GPUs).to.deep.equal(gpus);
  });

  it("reads no GPUs from an empty answer or nvidia-smi's 'No devices were found'", () => {
    expect(parseNvidiaSmiCsv("")).to.deep.equal([]);
    expect(parseNvidiaSmiCsv("\n\n")).to.deep.equal([]);
    expect(parseNvidiaSmiCsv("No devices were found\n")).to.deep.equal([]);
  });

  const malformed: [string, string, RegExp][] = [
    ["too few fields", "0, Tesla T4, 00000000:01:00.0, 15360", /line 2: expected 6 comma-separated fields, got 4/],
    ["a comma in the name", "0, Tesla, T4, 00000000:01:00.0, 15360, 0, 15360", /got 7/],
    ["a non-numeric index", "x, Tesla T4, 00000000:01:00.0, 15360, 0, 15360", /index must be a whole number/],
    ["a bad bus ID", "0, Tesla T4, 01:00, 15360, 0, 15360", /pci.bus_id "01:00" is not a PCI address/],
    ["units left in", "0, Tesla T4, 00000000:01:00.0, 15360 MiB, 0, 15360", /memory.total must be a whole number/],
    ["an unknown total", "0, Tesla T4, 00000000:01:00.0, [N/A], 0, 0", /memory.total/],
    ["an empty name", "0, , 00000000:01:00.0, 1, 0, 1", /name is empty/],
  ];
  for (const [what, line, message] of malformed) {
    it(`refuses a line with ${what}, naming the line`, () => {
      expect(() => parseNvidiaSmiCsv(`${NVIDIA_SMI_ONE}${line}\n`))
        .to.throw(ProbeParseError, message)
        .with.property("line", 2);
    });
  }

  it("normalizes PCI bus IDs", () => {
    expect(normalizePciAddress("00000000:AF:1F.7")).to.equal("0000:af:1f.7");
    expect(normalizePciAddress("0000:01:00.0")).to.equal("0000:01:00.0");
    expect(normalizePciAddress("00010000:01:00.0"), "a domain past 16 bits keeps 8 digits").to.equal(
      "00010000:01:00.0",
    );
    expect(normalizePciAddress("0000:01:00")).to.equal(undefined);
  });
});

describe("probe: /proc/cpuinfo", () => {
  it("reads an x86 package: model, vendor, clock, cores, threads, cache", () => {
    expect(parseCpuInfo(CPUINFO_X86, "x86_64")).to.deep.equal([
      {
        Model: "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz",
        Vendor: "Intel",
        ClockSpeedHz: 2_300_104_000n,
        Cores: 1,
        Threads: 2,
        Architecture: "x86_64",
        CacheSize: 46080n * 1024n,
      },
    ]);
  });

  it("reads two sockets as two packages", () => {
    const cpus = parseCpuInfo(CPUINFO_TWO_SOCKETS, "x86_64");
    expect(cpus.map((cpu) => [cpu.Vendor, cpu.Cores, cpu.Threads, cpu.ClockSpeedHz])).to.deep.equal([
      ["AMD", 2, 2, 2_651_000_000n],
      ["AMD", 2, 2, 2_653_000_000n],
    ]);
  });

  it("reads an ARM machine: the implementer as vendor, the machine's model, no clock (for os.cpus() to fill)", () => {
    expect(parseCpuInfo(CPUINFO_ARM, "arm64")).to.deep.equal([
      {
        Model: "Raspberry Pi 4 Model B Rev 1.1",
        Vendor: "ARM",
        ClockSpeedHz: 0n,
        Cores: 2,
        Threads: 2,
        Architecture: "arm64",
        CacheSize: 0n,
      },
    ]);
  });

  it("refuses a line without a colon and text without processors, clearly", () => {
    expect(() => parseCpuInfo("processor : 0\ngarbage here\n", "x86_64"))
      .to.throw(ProbeParseError, /\/proc\/cpuinfo line 2: expected "key : value", got "garbage here"/)
      .with.property("line", 2);
    expect(() => parseCpuInfo("", "x86_64")).to.throw(ProbeParseError, /no "processor" record/);
  });
});

describe("probe: this machine", function () {
  this.timeout(30_000);

  it("reads /proc/mounts lines, escapes decoded", () => {
    expect(parseMounts("/dev/sda1 /mnt/my\\040disk ext4 rw 0 0\nproc /proc proc rw 0 0\n")).to.deep.equal([
      { source: "/dev/sda1", mountPoint: "/mnt/my disk", type: "ext4" },
      { source: "proc", mountPoint: "/proc", type: "proc" },
    ]);
  });

  it("gives specs that validate, and a profile built from them that has a CID", async () => {
    const probed = await probe();
    expect(probed.name).to.be.a("string").and.not.equal("");
    expect(probed.specs.CPUs).to.have.length.above(0);
    expect(probed.specs.RAMs![0].Size > 0n).to.equal(true);
    expect(parseSpecInfo(probed.specs)).to.deep.equal(probed.specs);
    const profile = buildMachineProfile({
      name: probed.name,
      specs: probed.specs,
      cpu: { percent: 50n },
      memory: { percent: 50n },
      pricePerMinute: 1n,
    });
    expect(await getMachineProfileId(profile)).to.match(/^Qm/);
  });

  it("lists no GPUs, without failing, when nvidia-smi is not installed", async () => {
    const probed = await probe({ nvidiaSmi: "/nonexistent/nvidia-smi" });
    expect(probed.specs.GPUs).to.deep.equal([]);
    expect(probed.warnings.filter((warning) => warning.startsWith("nvidia-smi"))).to.deep.equal([]);
  });

  it("lists no GPUs and says why when nvidia-smi fails", async () => {
    const probed = await probe({ nvidiaSmi: "false" });
    expect(probed.specs.GPUs).to.deep.equal([]);
    expect(probed.warnings.some((warning) => warning.startsWith("nvidia-smi:"))).to.equal(true);
  });
});
