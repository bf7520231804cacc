import { expect } from "chai";
import fc from "fast-check";
import {
  AccordValidationError,
  bytes32ToCid,
  cidToBytes32,
  convertDealMembers,
  convertDealPricing,
  convertDealTimeout,
  convertDealTimeouts,
  etherToWei,
  etherToWeiExact,
  InvalidCidError,
  isCidV0,
  UINT64_MAX,
  type DealTimeouts,
} from "../../src/model";
import { addressA, addressB, solver } from "./helpers";

/** Go's big.Float route, done independently: round to a float64, multiply exactly, round to 53 bits (half to even). */
function referenceEtherToWei(amount: bigint): bigint {
  const product = BigInt(Number(amount)) * 10n ** 18n;
  const bits = product.toString(2).length;
  if (bits <= 53) return product;
  const shift = BigInt(bits - 53);
  let mantissa = product >> shift;
  const remainder = product & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  if (remainder > half || (remainder === half && (mantissa & 1n) === 1n)) mantissa += 1n;
  return mantissa << shift;
}

const timeouts: DealTimeouts = {
  agree: { timeout: 10n, collateral: 1n },
  submit_results: { timeout: 20n, collateral: 2n },
  judge_results: { timeout: 30n, collateral: 3n },
  mediate_results: { timeout: UINT64_MAX, collateral: 4n },
};

describe("model: conversions to the contracts' structs", () => {
  describe("etherToWei", () => {
    it("matches Go's EtherToWei(float64(x)) bit for bit", () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), (amount) => {
          expect(etherToWei(amount)).to.equal(referenceEtherToWei(amount));
        }),
        { numRuns: 2000 },
      );
      for (const amount of [0n, 1n, 2361n, 2362n, 123456789n, 2n ** 53n + 1n, UINT64_MAX]) {
        expect(etherToWei(amount), String(amount)).to.equal(referenceEtherToWei(amount));
      }
    });

    it("is exact for small amounts and, like Go, only close for large ones", () => {
      expect(etherToWei(1n)).to.equal(10n ** 18n);
      expect(etherToWei(2361n)).to.equal(2361n * 10n ** 18n);
      expect(etherToWei(123456789n)).to.not.equal(123456789n * 10n ** 18n);
      expect(etherToWeiExact(123456789n)).to.equal(123456789n * 10n ** 18n);
    });
  });

  it("converts pricing: amounts to wei, the collateral multiple as is", () => {
    expect(
      convertDealPricing({
        instruction_price: 1n,
        payment_collateral: 2n,
        results_collateral_multiple: 3n,
        mediation_fee: 4n,
      }),
    ).to.deep.equal({
      instructionPrice: 10n ** 18n,
      paymentCollateral: 2n * 10n ** 18n,
      resultsCollateralMultiple: 3n,
      mediationFee: 4n * 10n ** 18n,
    });
    const identity = (amount: bigint) => amount;
    expect(
      convertDealPricing(
        { instruction_price: 1n, payment_collateral: 2n, results_collateral_multiple: 3n, mediation_fee: 4n },
        { toWei: identity },
      ),
    ).to.deep.equal({ instructionPrice: 1n, paymentCollateral: 2n, resultsCollateralMultiple: 3n, mediationFee: 4n });
  });

  it("converts one timeout with or without its collateral", () => {
    expect(convertDealTimeout({ timeout: 5n, collateral: 7n }, true)).to.deep.equal({
      timeout: 5n,
      collateral: 7n * 10n ** 18n,
    });
    expect(convertDealTimeout({ timeout: 5n, collateral: 7n }, false)).to.deep.equal({ timeout: 5n, collateral: 0n });
  });

  it("converts the timeouts with collateral for submit and judge only, as the reference does", () => {
    expect(convertDealTimeouts(timeouts)).to.deep.equal({
      agree: 10n,
      submitResults: 20n,
      judgeResults: 30n,
      mediateResults: UINT64_MAX,
      agreeCollateral: 0n,
      submitResultsCollateral: 2n * 10n ** 18n,
      judgeResultsCollateral: 3n * 10n ** 18n,
      mediateResultsCollateral: 0n,
    });
  });

  it("lets the caller choose which timeouts carry collateral, and the unit", () => {
    const converted = convertDealTimeouts(timeouts, {
      withCollateral: { agree: true, judge_results: false },
      toWei: (a) => a,
    });
    expect(converted.agreeCollateral).to.equal(1n);
    expect(converted.submitResultsCollateral).to.equal(2n);
    expect(converted.judgeResultsCollateral).to.equal(0n);
    expect(converted.mediateResultsCollateral).to.equal(0n);
  });

  describe("convertDealMembers", () => {
    it("converts to lower-case addresses and nil mediators to []", () => {
      const upper = "0xABCDEF0000000000000000000000000000000001";
      expect(
        convertDealMembers({ solver, job_creator: upper, resource_provider: addressA, mediators: [addressB, upper] }),
      ).to.deep.equal({
        jobCreator: upper.toLowerCase(),
        resourceProvider: addressA,
        solver,
        mediators: [addressB, upper.toLowerCase()],
      });
      expect(
        convertDealMembers({ solver, job_creator: addressA, resource_provider: addressB, mediators: null }).mediators,
      ).to.deep.equal([]);
    });

    it("refuses anything but a 20-byte hex address, naming the member", () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ solver: "" }, "solver"],
        [{ job_creator: "0x123" }, "job_creator"],
        [{ resource_provider: `${addressA}00` }, "resource_provider"],
        [{ mediators: [addressA, "1111111111111111111111111111111111111111"] }, "mediators[1]"],
        [{ mediators: ["0xZZ11111111111111111111111111111111111111"] }, "mediators[0]"],
      ];
      for (const [override, field] of cases) {
        const members = {
          solver,
          job_creator: addressA,
          resource_provider: addressB,
          mediators: [addressA],
          ...override,
        };
        let error: unknown;
        try {
          convertDealMembers(members);
        } catch (e) {
          error = e;
        }
        expect(error, field).to.be.instanceOf(AccordValidationError);
        expect((error as AccordValidationError).field).to.equal(field);
        expect((error as AccordValidationError).rule).to.match(/20-byte hex address/);
      }
    });
  });
});

describe("model: on-chain ID form", () => {
  const cid = "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4";

  it("cidToBytes32 gives the sha256 digest of the block", async () => {
    const { createHash } = await import("node:crypto");
    const expected = `0x${createHash("sha256").update(Buffer.from("0a027b7d", "hex")).digest("hex")}`;
    expect(cidToBytes32(cid)).to.equal(expected);
    expect(bytes32ToCid(expected)).to.equal(cid);
  });

  it("accepts a CIDv1 that is dag-pb over sha2-256, giving the same digest", () => {
    // The CIDv1 (base32) of the same dag-pb block.
    const v1 = "bafybeicdtctrjulddfpabm5gm6xenvltamxqbsy3y5x4dgpeofxnz4ydzu";
    expect(cidToBytes32(v1)).to.equal(cidToBytes32(cid));
  });

  it("refuses other codecs, hashes and non-CIDs with a clear InvalidCidError", () => {
    const cases: [string, RegExp][] = [
      ["bafkreicdtctrjulddfpabm5gm6xenvltamxqbsy3y5x4dgpeofxnz4ydzu", /not dag-pb/], // raw codec, same digest
      ["bafyaaaybaibq", /not sha2-256/], // dag-pb over the identity hash
      ["not a cid", /not a CID/],
      ["", /not a CID/],
    ];
    for (const [value, reason] of cases) {
      let error: unknown;
      try {
        cidToBytes32(value);
      } catch (e) {
        error = e;
      }
      expect(error, value).to.be.instanceOf(InvalidCidError);
      expect((error as Error).message, value).to.match(reason);
    }
  });

  it("refuses a malformed bytes32", () => {
    for (const value of ["0x1234", "12".repeat(32), `0x${"g".repeat(64)}`, `0x${"0".repeat(66)}`]) {
      expect(() => bytes32ToCid(value), value).to.throw(InvalidCidError, /bytes32/);
    }
  });

  it("isCidV0 tells CIDv0 strings from anything else", () => {
    expect(isCidV0(cid)).to.equal(true);
    expect(isCidV0("bafybeicdtctrjulddfpabm5gm6xenvltamxqbsy3y5x4dgpeofxnz4ydzu")).to.equal(false);
    expect(isCidV0(cid.slice(0, -1) + "0")).to.equal(false);
    expect(isCidV0("Qm")).to.equal(false);
  });
});
