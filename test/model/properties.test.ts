import { expect } from "chai";
import fc from "fast-check";
import {
  bytes32ToCid,
  cidToBytes32,
  compareUtf8,
  encodeJson,
  getJobOfferId,
  getResourceOfferId,
  jobOfferSchema,
  opaqueJson,
  parseJobOffer,
  parseJson,
  parseResourceOffer,
  quoteJsonString,
  resourceOfferSchema,
  toWellFormed,
  UINT64_MAX,
  type JobOffer,
  type JsonValue,
  type ResourceOffer,
} from "../../src/model";
import { seededRandom, shuffleKeys } from "./helpers";

// Strings of arbitrary UTF-16 code units: lone surrogates, controls, <>&, U+2028… all occur.
const anyUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  maxLength: 12,
});
// Strings of arbitrary code points, astral ones included.
const anyCodePoints = fc.string({ unit: "binary", maxLength: 12 });
const mixedStrings = fc.oneof(anyUnits, anyCodePoints, fc.string({ maxLength: 8 }));

const hexDigit = fc.constantFrom(..."0123456789abcdefABCDEF".split(""));
const address = fc.string({ unit: hexDigit, minLength: 40, maxLength: 40 }).map((digits) => `0x${digits}`);
const uint64 = fc.bigInt({ min: 0n, max: UINT64_MAX });
const goInt = fc.integer({ min: -1_000_000, max: Number.MAX_SAFE_INTEGER });

const machineSpec = fc.record({ gpu: goInt, cpu: goInt, ram: goInt });
const pricing = fc.record({
  instruction_price: uint64,
  payment_collateral: uint64,
  results_collateral_multiple: uint64,
  mediation_fee: uint64,
});
const timeout = fc.record({ timeout: uint64, collateral: uint64 });
const timeouts = fc.record({
  agree: timeout,
  submit_results: timeout,
  judge_results: timeout,
  mediate_results: timeout,
});
/** A map whose keys stay distinct once made well-formed (two lone surrogates are one Go key). */
const goDictionary = <T>(value: fc.Arbitrary<T>, maxKeys: number) =>
  fc
    .dictionary(mixedStrings, value, { maxKeys })
    .filter((map) => new Set(Object.keys(map).map(toWellFormed)).size === Object.keys(map).length);
const nilOr = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const trustedParties = fc.record({
  solver: fc.oneof(address, fc.constant("")),
  mediator: nilOr(fc.array(address, { maxLength: 3 })),
});
const mode = fc.constantFrom("MarketPrice" as const, "FixedPrice" as const);

const jobOffer: fc.Arbitrary<JobOffer> = fc.record({
  id: fc.constant(""),
  created_at: goInt,
  job_creator: address,
  module: fc.record({ name: mixedStrings, repo: mixedStrings, hash: mixedStrings, path: mixedStrings }),
  spec: machineSpec,
  inputs: nilOr(goDictionary(mixedStrings, 4)),
  mode,
  pricing,
  timeouts,
  trusted_parties: trustedParties,
});

const resourceOffer: fc.Arbitrary<ResourceOffer> = fc.record({
  id: fc.constant(""),
  created_at: goInt,
  resource_provider: address,
  index: goInt,
  spec: machineSpec,
  modules: nilOr(fc.array(mixedStrings, { maxLength: 3 })),
  mode,
  default_pricing: pricing,
  default_timeouts: timeouts,
  module_pricing: nilOr(goDictionary(pricing, 3)),
  module_timeouts: nilOr(goDictionary(timeouts, 3)),
  trusted_parties: trustedParties,
});

/** Strings and keys as Go holds them (well-formed); everything else as is. */
function wellFormedDeep(value: unknown): unknown {
  if (typeof value === "string") return toWellFormed(value);
  if (Array.isArray(value)) return value.map(wellFormedDeep);
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(result, toWellFormed(key), {
        value: wellFormedDeep(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

/** Numbers by value: a bigint a double holds exactly compares as that double, and -0 as 0. */
function numbersByValue(value: unknown): unknown {
  // An integer literal that is a double's shortest decimal form denotes that double (as Go's float64 decoding
  // reads it), even when the double's exact value differs in the last digits (…220 vs …216).
  if (typeof value === "bigint") return String(Number(value)) === value.toString() ? Number(value) : value;
  if (typeof value === "number") return value === 0 ? 0 : value;
  if (Array.isArray(value)) return value.map(numbersByValue);
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(result, key, {
        value: numbersByValue(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

const jsonWithBigints: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).filter((n) => !Number.isSafeInteger(Number(n)) || n === 0n),
    mixedStrings,
    fc.array(tie("value"), { maxLength: 4 }),
    goDictionary(tie("value"), 4),
  ),
})).value;

describe("model: properties (fast-check)", () => {
  it("quoteJsonString gives a JSON string that parses back to the (well-formed) input, with nothing Go escapes left raw", () => {
    fc.assert(
      fc.property(mixedStrings, (text) => {
        const quoted = quoteJsonString(text);
        expect(JSON.parse(quoted)).to.equal(toWellFormed(text));
        // eslint-disable-next-line no-control-regex -- checks that no control character is left unescaped
        expect(quoted).to.not.match(/[\u0000-\u001f<>&\u2028\u2029]/);
      }),
      { numRuns: 500 },
    );
  });

  it("compareUtf8 orders like the UTF-8 bytes", () => {
    fc.assert(
      fc.property(anyCodePoints, anyCodePoints, (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).to.equal(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 1000 },
    );
  });

  it("opaque JSON output is valid JSON that a bigint-aware parser round-trips to the same value", () => {
    fc.assert(
      fc.property(jsonWithBigints, (value) => {
        const text = encodeJson(value, opaqueJson);
        expect(() => JSON.parse(text) as unknown).to.not.throw();
        expect(numbersByValue(parseJson(text))).to.deep.equal(numbersByValue(wellFormedDeep(value)));
        // Encoding is canonical: the parsed value encodes to the same text.
        expect(encodeJson(parseJson(text), opaqueJson)).to.equal(text);
      }),
      { numRuns: 300 },
    );
  });

  it("job offers round-trip exactly through the encoder and parseJobOffer", () => {
    fc.assert(
      fc.property(jobOffer, (offer) => {
        const text = encodeJson(offer, jobOfferSchema);
        expect(() => JSON.parse(text) as unknown).to.not.throw();
        const parsed = parseJobOffer(text);
        expect(parsed).to.deep.equal(wellFormedDeep(offer));
        expect(encodeJson(parsed, jobOfferSchema)).to.equal(text);
      }),
      { numRuns: 200 },
    );
  });

  it("resource offers round-trip exactly through the encoder and parseResourceOffer", () => {
    fc.assert(
      fc.property(resourceOffer, (offer) => {
        const text = encodeJson(offer, resourceOfferSchema);
        const parsed = parseResourceOffer(text);
        expect(parsed).to.deep.equal(wellFormedDeep(offer));
        expect(encodeJson(parsed, resourceOfferSchema)).to.equal(text);
      }),
      { numRuns: 200 },
    );
  });

  it("an ID does not depend on key order", async () => {
    await fc.assert(
      fc.asyncProperty(jobOffer, resourceOffer, fc.integer(), async (job, resource, seed) => {
        const random = seededRandom(seed);
        expect(await getJobOfferId(shuffleKeys(job, random))).to.equal(await getJobOfferId(job));
        expect(await getResourceOfferId(shuffleKeys(resource, random))).to.equal(await getResourceOfferId(resource));
      }),
      { numRuns: 60 },
    );
  });

  it("an ID changes when any uint64 amount changes", async () => {
    await fc.assert(
      fc.asyncProperty(
        jobOffer,
        fc.constantFrom(
          "instruction_price",
          "payment_collateral",
          "results_collateral_multiple",
          "mediation_fee" as const,
        ),
        async (job, field) => {
          const changed = { ...job, pricing: { ...job.pricing, [field]: job.pricing[field] ^ 1n } };
          expect(await getJobOfferId(changed)).to.not.equal(await getJobOfferId(job));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("cidToBytes32 and bytes32ToCid are inverse", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const bytes32 = `0x${Buffer.from(digest).toString("hex")}`;
        const cid = bytes32ToCid(bytes32);
        expect(cid).to.match(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
        expect(cidToBytes32(cid)).to.equal(bytes32);
        expect(bytes32ToCid(cidToBytes32(cid))).to.equal(cid);
        expect(bytes32ToCid(bytes32.toUpperCase().replace("0X", "0x"))).to.equal(cid);
      }),
      { numRuns: 300 },
    );
  });
});
