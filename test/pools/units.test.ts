import { expect } from "chai";

import { AccordValidationError } from "../../src/model";
import { CONTAINER_FREE_SRU_GB, computeUnits, type WorkloadResources } from "../../src/pools/units";

function validationError(run: () => unknown): AccordValidationError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordValidationError;
  }
  expect.fail("expected an AccordValidationError");
}

const units = (cu: bigint, su: bigint, ipv4u: bigint) => ({ cu, su, ipv4u });

describe("pools/units: computeUnits", () => {
  describe("the reference's worked examples", () => {
    it("2 cores and 4 GB of memory are 1 CU (1000 thousandths)", () => {
      expect(computeUnits({ cru: 2, mru: 4 })).to.deep.equal(units(1000n, 0n, 0n));
    });

    it("120 GB of SSD and 1.2 TB of HDD are 1.4 SU (1400)", () => {
      expect(computeUnits({ cru: 0, mru: 0, sru: 120, hru: 1200 })).to.deep.equal(units(0n, 1400n, 0n));
      // Each part: 1200 GB HDD / 1200 = 1 SU, 120 GB SSD / 300 = 0.4 SU.
      expect(computeUnits({ cru: 0, mru: 0, hru: 1200 }).su).to.equal(1000n);
      expect(computeUnits({ cru: 0, mru: 0, sru: 120 }).su).to.equal(400n);
    });

    it("0.167 SU is 167: 50 GB of SSD (0.1666… SU)", () => {
      expect(computeUnits({ cru: 0, mru: 0, sru: 50 })).to.deep.equal(units(0n, 167n, 0n));
    });
  });

  describe("CU = min(MRU / 4, CRU / 2)", () => {
    it("is bound by the memory when it is the smaller", () => {
      expect(computeUnits({ cru: 8, mru: 4 }).cu).to.equal(1000n); // min(1, 4)
      expect(computeUnits({ cru: 1, mru: 1 }).cu).to.equal(250n); // min(0.25, 0.5)
    });

    it("is bound by the cores when they are the smaller", () => {
      expect(computeUnits({ cru: 2, mru: 16 }).cu).to.equal(1000n); // min(4, 1)
      expect(computeUnits({ cru: 1, mru: 64 }).cu).to.equal(500n); // min(16, 0.5)
    });

    it("is the same either way when the two are equal", () => {
      expect(computeUnits({ cru: 4, mru: 8 }).cu).to.equal(2000n);
    });

    it("is zero without cores or without memory", () => {
      expect(computeUnits({ cru: 0, mru: 32 }).cu).to.equal(0n);
      expect(computeUnits({ cru: 16, mru: 0 }).cu).to.equal(0n);
    });
  });

  describe("rounding to the nearest thousandth, halves away from zero", () => {
    it("rounds an exact half up (away from zero)", () => {
      expect(computeUnits({ cru: 1, mru: 0.002 }).cu).to.equal(1n); // 0.0005 CU
      expect(computeUnits({ cru: 0.001, mru: 8 }).cu).to.equal(1n); // 0.0005 CU from the cores
      expect(computeUnits({ cru: 0, mru: 0, sru: 0.15 }).su).to.equal(1n); // 0.15 / 300 = 0.0005 SU
      expect(computeUnits({ cru: 0, mru: 0, hru: 0.6 }).su).to.equal(1n); // 0.6 / 1200 = 0.0005 SU
      expect(computeUnits({ cru: 4, mru: 4.002 }).cu).to.equal(1001n); // min(1.0005, 2) CU
    });

    it("rounds just below a half down and just above it up", () => {
      expect(computeUnits({ cru: 1, mru: "0.0019" }).cu).to.equal(0n); // 0.000475
      expect(computeUnits({ cru: 1, mru: "0.0021" }).cu).to.equal(1n); // 0.000525
      expect(computeUnits({ cru: 0, mru: 0, sru: "0.1499" }).su).to.equal(0n);
      expect(computeUnits({ cru: 0, mru: 0, sru: "0.1501" }).su).to.equal(1n);
    });

    it("rounds the sum HRU/1200 + SRU/300 once, not each part", () => {
      // 0.3 GB HDD (0.00025 SU) + 0.075 GB SSD (0.00025 SU) = 0.0005 SU: rounded once it is 1, each part alone 0.
      expect(computeUnits({ cru: 0, mru: 0, hru: 0.3 }).su).to.equal(0n);
      expect(computeUnits({ cru: 0, mru: 0, sru: 0.075 }).su).to.equal(0n);
      expect(computeUnits({ cru: 0, mru: 0, hru: 0.3, sru: 0.075 }).su).to.equal(1n);
    });
  });

  describe("exact decimals", () => {
    it("takes 0.1 GB as a tenth", () => {
      expect(computeUnits({ cru: 1, mru: 0.1 }).cu).to.equal(25n); // 0.025 CU
      expect(computeUnits({ cru: 1, mru: "0.1" }).cu).to.equal(25n);
      expect(computeUnits({ cru: 0, mru: 0, sru: "0.3" }).su).to.equal(1n); // 0.001 SU
    });

    it("rounds 2.55 GB of SSD (0.0085 SU) to 9 where floating point gives 8", () => {
      expect(Math.round((2.55 / 300) * 1000)).to.equal(8); // what a float computation gets wrong
      expect(computeUnits({ cru: 0, mru: 0, sru: 2.55 }).su).to.equal(9n);
      expect(computeUnits({ cru: 0, mru: 0, sru: "2.55" }).su).to.equal(9n);
    });

    it("takes numbers, decimal strings (trimmed, with exponents) and bigints alike", () => {
      const forms: WorkloadResources[] = [
        { cru: 2, mru: 4, sru: 120, hru: 1200 },
        { cru: "2", mru: " 4.0 ", sru: "1.2e2", hru: "1.2E3" },
        { cru: 2n, mru: 4n, sru: 120n, hru: 1200n },
      ];
      for (const r of forms) expect(computeUnits(r)).to.deep.equal(units(1000n, 1400n, 0n));
      expect(computeUnits({ cru: 1, mru: 1e-7 }).cu).to.equal(0n);
      expect(computeUnits({ cru: 1e21, mru: 4e21 }).cu).to.equal(5n * 10n ** 23n); // String(1e21) is "1e+21"
    });

    it("counts missing SSD, HDD and IPv4 as zero", () => {
      expect(computeUnits({ cru: 2, mru: 4 })).to.deep.equal(units(1000n, 0n, 0n));
    });
  });

  describe("free allowances", () => {
    it(`gives a container's root disk ${CONTAINER_FREE_SRU_GB} GB of SSD free`, () => {
      expect(CONTAINER_FREE_SRU_GB).to.equal(50n);
      expect(computeUnits({ cru: 1, mru: 2, sru: 50 }, { kind: "container" })).to.deep.equal(units(500n, 0n, 0n));
      expect(computeUnits({ cru: 1, mru: 2, sru: 30 }, { kind: "container" }).su).to.equal(0n);
      expect(computeUnits({ cru: 1, mru: 2, sru: 80 }, { kind: "container" }).su).to.equal(100n); // 30 GB paid
      expect(computeUnits({ cru: 1, mru: 2, sru: "50.3" }, { kind: "container" }).su).to.equal(1n); // 0.3 GB paid
    });

    it("does not make a container's HDD, or a VM's or a volume's SSD, free", () => {
      expect(computeUnits({ cru: 0, mru: 0, hru: 1200 }, { kind: "container" }).su).to.equal(1000n);
      expect(computeUnits({ cru: 0, mru: 0, sru: 50 }, { kind: "vm" }).su).to.equal(167n);
      expect(computeUnits({ cru: 0, mru: 0, sru: 50 }, { kind: "volume" }).su).to.equal(167n);
    });

    it("makes network and gateway workloads free altogether", () => {
      const big = { cru: 8, mru: 32, sru: 500, hru: 2000, ipv4u: 2 };
      expect(computeUnits(big, { kind: "network" })).to.deep.equal(units(0n, 0n, 0n));
      expect(computeUnits(big, { kind: "gateway" })).to.deep.equal(units(0n, 0n, 0n));
      expect(computeUnits(big)).to.not.deep.equal(units(0n, 0n, 0n));
    });
  });

  describe("IPv4", () => {
    it("counts public IPv4 addresses: one address is 1 IPv4U (1000)", () => {
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: 1 }).ipv4u).to.equal(1000n);
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: 2 }).ipv4u).to.equal(2000n);
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: "3" }).ipv4u).to.equal(3000n);
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: 4n }).ipv4u).to.equal(4000n);
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: "1.0" }).ipv4u).to.equal(1000n);
      expect(computeUnits({ cru: 1, mru: 2, ipv4u: 0 }).ipv4u).to.equal(0n);
    });
  });

  describe("errors name the field", () => {
    const fields = ["cru", "mru", "sru", "hru", "ipv4u"] as const;
    const base: WorkloadResources = { cru: 1, mru: 2, sru: 3, hru: 4, ipv4u: 1 };

    for (const field of fields) {
      it(`refuses a negative ${field}`, () => {
        for (const value of [-1, "-1", -1n, "-0.5"]) {
          const error = validationError(() => computeUnits({ ...base, [field]: value }));
          expect(error.field).to.equal(field);
          expect(error.rule).to.equal("must not be negative");
          expect(error.message).to.contain(field);
        }
      });

      it(`refuses a non-numeric ${field}`, () => {
        for (const value of ["abc", "", "1.2.3", "0x10", NaN, Infinity, "1,5"]) {
          const error = validationError(() => computeUnits({ ...base, [field]: value }));
          expect(error.field, String(value)).to.equal(field);
          expect(error.rule).to.equal("must be a non-negative decimal number");
        }
      });
    }

    it("refuses a fractional number of IPv4 addresses", () => {
      for (const value of [1.5, "0.5", "2.001", 1e-3]) {
        const error = validationError(() => computeUnits({ cru: 1, mru: 2, ipv4u: value }));
        expect(error.field).to.equal("ipv4u");
        expect(error.rule).to.equal("must be a whole number of addresses");
      }
    });

    it("checks the IPv4 count of network and gateway workloads too", () => {
      const error = validationError(() => computeUnits({ cru: 0, mru: 0, ipv4u: 0.5 }, { kind: "network" }));
      expect(error.field).to.equal("ipv4u");
    });
  });
});
