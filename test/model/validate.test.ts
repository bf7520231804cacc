import { expect } from "chai";
import {
  AccordValidationError,
  encodeJson,
  getJobOfferId,
  getResultId,
  jobOfferSchema,
  JsonNumberLiteral,
  parseDeal,
  parseJobOffer,
  parseJson,
  parseJsonLiterals,
  parseResourceOffer,
  parseResult,
  type JobOffer,
} from "../../src/model";
import { addressA, addressB, readVectors, solver, stringifyExact } from "./helpers";

function validationError(run: () => unknown): AccordValidationError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordValidationError;
  }
  expect.fail("expected an AccordValidationError");
}

async function asyncValidationError(run: () => Promise<unknown>): Promise<AccordValidationError> {
  const error = await run().then(
    () => expect.fail("expected an AccordValidationError"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(AccordValidationError);
  return error as AccordValidationError;
}

const validOffer = {
  id: "",
  created_at: 1700000000000,
  job_creator: addressA,
  module: { name: "cowsay", repo: "https://example.org/cowsay", hash: "v0.1", path: "template.json" },
  spec: { gpu: 0, cpu: 1000, ram: 1024 },
  inputs: { Message: "moo" },
  mode: "MarketPrice",
  pricing: { instruction_price: 1, payment_collateral: 2, results_collateral_multiple: 3, mediation_fee: 4 },
  timeouts: {
    agree: { timeout: 10, collateral: 0 },
    submit_results: { timeout: 20, collateral: 5 },
    judge_results: { timeout: 30, collateral: 6 },
    mediate_results: { timeout: 40, collateral: 0 },
  },
  trusted_parties: { solver, mediator: [addressB] },
};

/** JSON text of the valid offer with one field's raw JSON replaced. */
function offerText(path: string[], rawJson: string): string {
  const copy = structuredClone(validOffer) as Record<string, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path[path.length - 1]] = "@@RAW@@";
  return JSON.stringify(copy).replace('"@@RAW@@"', rawJson);
}

describe("model: lossless JSON parsing", () => {
  it("keeps integers beyond 2^53 exact as bigints, safe ones as numbers", () => {
    expect(parseJson('{"a":18446744073709551615,"b":9007199254740993,"c":42,"d":-9007199254740993}')).to.deep.equal({
      a: 18446744073709551615n,
      b: 9007199254740993n,
      c: 42,
      d: -9007199254740993n,
    });
  });

  it("reads non-integers as float64 numbers", () => {
    expect(parseJson("[1.5,1e3,-0.25]")).to.deep.equal([1.5, 1000, -0.25]);
  });

  it("refuses malformed JSON and out-of-range floats with an AccordValidationError on the whole value", () => {
    for (const text of ["{", "[1,]", "01", '{"a":1} x', "'a'", "1e400", '"\u0001"', ""]) {
      const error = validationError(() => parseJson(text));
      expect(error.field, text).to.equal("");
      expect(error.rule, text).to.match(/^must be valid JSON/);
    }
  });

  it("refuses absurdly deep nesting with a validation error, not a crash", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(validationError(() => parseJson(deep)).rule).to.equal("must be valid JSON: nested too deeply");
    expect(validationError(() => parseJobOffer(`{"inputs":${deep}}`)).field).to.equal("");
  });

  it("refuses duplicate keys with different values", () => {
    expect(validationError(() => parseJson('{"a":1,"a":2}')).rule).to.match(/Duplicate key/);
  });

  it("keeps number literals as text when asked", () => {
    const parsed = parseJsonLiterals('{"n":1.0}') as { n: JsonNumberLiteral };
    expect(parsed.n).to.be.instanceOf(JsonNumberLiteral);
    expect(parsed.n.text).to.equal("1.0");
  });

  it('stores a "__proto__" key as data, not as the prototype', () => {
    const parsed = parseJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).to.deep.equal(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});

describe("model: validation of untrusted input", () => {
  it("accepts a valid offer as text or as an object, returning uint64 fields as bigints", () => {
    for (const input of [JSON.stringify(validOffer), validOffer]) {
      const offer = parseJobOffer(input);
      expect(offer.pricing.payment_collateral).to.equal(2n);
      expect(offer.timeouts.judge_results.collateral).to.equal(6n);
      expect(offer.created_at).to.equal(1700000000000);
      expect(offer.trusted_parties.mediator).to.deep.equal([addressB]);
    }
  });

  it("returns fields in the reference's order and drops unknown keys", () => {
    const offer = parseJobOffer({ ...validOffer, extra: 1 });
    expect(Object.keys(offer)).to.deep.equal(jobOfferSchema.fields.map(([name]) => name));
  });

  it("fills missing fields with Go's zero values, keeping nil slices and maps as null", () => {
    const offer = parseJobOffer({ mode: "FixedPrice" });
    expect(offer.id).to.equal("");
    expect(offer.created_at).to.equal(0);
    expect(offer.inputs).to.equal(null);
    expect(offer.trusted_parties).to.deep.equal({ solver: "", mediator: null });
    expect(offer.pricing.mediation_fee).to.equal(0n);
    expect(parseJobOffer(offerText(["inputs"], "{}")).inputs).to.deep.equal({});
    expect(parseJobOffer(offerText(["trusted_parties", "mediator"], "[]")).trusted_parties.mediator).to.deep.equal([]);
  });

  it("treats null like Go: zero for scalars and structs, nil for slices and maps", () => {
    expect(parseJobOffer(offerText(["created_at"], "null")).created_at).to.equal(0);
    expect(parseJobOffer(offerText(["spec"], "null")).spec).to.deep.equal({ gpu: 0, cpu: 0, ram: 0 });
    expect(parseJobOffer(offerText(["inputs"], "null")).inputs).to.equal(null);
  });

  it("matches keys case-insensitively as Go does (long s ~ s included), the last duplicate winning", () => {
    const offer = parseJobOffer(
      '{"MODE":"FixedPrice","Created_At":5,"trusted_parties":{"\u017Folver":"' + solver + '"}}',
    );
    expect(offer.mode).to.equal("FixedPrice");
    expect(offer.created_at).to.equal(5);
    expect(offer.trusted_parties.solver).to.equal(solver);
    expect(parseJobOffer('{"mode":"FixedPrice","created_at":1,"CREATED_AT":2}').created_at).to.equal(2);
  });

  it("accepts uint64 max and refuses 2^64, naming the field and the rule", () => {
    expect(
      parseJobOffer(offerText(["pricing", "payment_collateral"], "18446744073709551615")).pricing.payment_collateral,
    ).to.equal(18446744073709551615n);
    const error = validationError(() =>
      parseJobOffer(offerText(["pricing", "payment_collateral"], "18446744073709551616")),
    );
    expect(error.field).to.equal("pricing.payment_collateral");
    expect(error.rule).to.match(/^must be an unsigned 64-bit integer/);
    expect(error.subject).to.equal("job offer");
    expect(error.message).to.contain("pricing.payment_collateral").and.contain("unsigned 64-bit");
  });

  it("refuses what Go refuses for integers: negatives for uint64, fractions, exponents, strings", () => {
    const cases: [string[], string, RegExp][] = [
      [["timeouts", "agree", "timeout"], "-1", /unsigned 64-bit/],
      [["timeouts", "agree", "timeout"], "-0", /unsigned 64-bit/],
      [["timeouts", "agree", "timeout"], "1.0", /unsigned 64-bit/],
      [["timeouts", "agree", "timeout"], "1e3", /unsigned 64-bit/],
      [["timeouts", "agree", "timeout"], '"7"', /unsigned 64-bit/],
      [["spec", "gpu"], "1.5", /signed 64-bit/],
      [["spec", "gpu"], "true", /signed 64-bit/],
      [["created_at"], "9223372036854775808", /signed 64-bit/],
      // A valid Go int, but not one a JS number holds exactly: refused rather than rounded.
      [["created_at"], "9007199254740993", /exactly/],
    ];
    for (const [path, raw, rule] of cases) {
      const error = validationError(() => parseJobOffer(offerText(path, raw)));
      expect(error.field, raw).to.equal(path.join("."));
      expect(error.rule, raw).to.match(rule);
    }
    expect(parseJobOffer(offerText(["spec", "gpu"], "-1")).spec.gpu).to.equal(-1);
  });

  it("refuses numbers from an object that a JSON.parse may already have rounded", () => {
    const error = validationError(() =>
      parseJobOffer({
        ...validOffer,
        pricing: { ...validOffer.pricing, mediation_fee: Number("18446744073709551615") },
      }),
    );
    expect(error.field).to.equal("pricing.mediation_fee");
    expect(error.rule).to.match(/lost precision/);
  });

  it("checks addresses, naming the list index", () => {
    const error = validationError(() =>
      parseJobOffer(offerText(["trusted_parties", "mediator"], `["${addressB}","0x123"]`)),
    );
    expect(error.field).to.equal("trusted_parties.mediator[1]");
    expect(error.rule).to.match(/20-byte hex address/);
    expect(validationError(() => parseJobOffer(offerText(["trusted_parties", "mediator"], '[""]'))).field).to.equal(
      "trusted_parties.mediator[0]",
    );
    expect(validationError(() => parseJobOffer(offerText(["job_creator"], '"alice"'))).field).to.equal("job_creator");
    // An unset party is the reference's "" (checks decide whether it is required).
    expect(parseJobOffer(offerText(["trusted_parties", "solver"], '""')).trusted_parties.solver).to.equal("");
    // Any hex case is accepted, as go-ethereum does; no checksum is enforced.
    expect(
      parseJobOffer(offerText(["job_creator"], '"0xAbCdEf0000000000000000000000000000000000"')).job_creator,
    ).to.equal("0xAbCdEf0000000000000000000000000000000000");
  });

  it("checks the pricing mode against the known names", () => {
    for (const raw of ['"marketprice"', '""', '"Auction"', "1"]) {
      const error = validationError(() => parseJobOffer(offerText(["mode"], raw)));
      expect(error.field, raw).to.equal("mode");
    }
    expect(validationError(() => parseJobOffer(offerText(["mode"], '"Auction"'))).rule).to.equal(
      'must be one of "MarketPrice", "FixedPrice"',
    );
  });

  it("checks that IDs are CIDv0 strings", () => {
    const error = validationError(() =>
      parseJobOffer(offerText(["id"], '"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"')),
    );
    expect(error.field).to.equal("id");
    expect(error.rule).to.match(/CIDv0/);
    expect(validationError(() => parseJobOffer(offerText(["id"], '"QmNotReallyACid"'))).field).to.equal("id");
    expect(parseJobOffer(offerText(["id"], '"QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4"')).id).to.equal(
      "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4",
    );
  });

  it("names map entries in the path", () => {
    const text = JSON.stringify({ mode: "FixedPrice", module_pricing: { "gpu module": { mediation_fee: -5 } } });
    expect(validationError(() => parseResourceOffer(text)).field).to.equal(
      'module_pricing["gpu module"].mediation_fee',
    );
  });

  it("refuses non-objects and malformed text as a whole", () => {
    expect(validationError(() => parseJobOffer("[]")).field).to.equal("");
    expect(validationError(() => parseJobOffer("null")).rule).to.equal("must be an object");
    expect(validationError(() => parseJobOffer(42)).rule).to.equal("must be an object");
    const malformed = validationError(() => parseResult("{"));
    expect(malformed.rule).to.match(/^must be valid JSON/);
    expect(malformed.message).to.match(/^invalid result: \(root\) must be valid JSON/);
  });

  it("turns lone surrogate escapes into U+FFFD, as Go's decoder does", () => {
    expect(parseJobOffer(offerText(["module", "name"], '"a\\ud800b"')).module.name).to.equal("a\uFFFDb");
  });

  describe("verifyId", () => {
    it("resolves when the id is the computed one", async () => {
      const id = await getJobOfferId(parseJobOffer(validOffer));
      const offer = await parseJobOffer({ ...validOffer, id }, { verifyId: true });
      expect(offer.id).to.equal(id);
    });

    it("rejects an empty or wrong id, naming the computed one", async () => {
      const id = await getJobOfferId(parseJobOffer(validOffer));
      const empty = await asyncValidationError(() => parseJobOffer(validOffer, { verifyId: true }));
      expect(empty.field).to.equal("id");
      expect(empty.rule).to.equal(`must equal the computed ID ${id}`);
      const wrong = await asyncValidationError(() =>
        parseJobOffer({ ...validOffer, id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4" }, { verifyId: true }),
      );
      expect(wrong.field).to.equal("id");
    });

    it("for a deal, also verifies the nested offers' IDs", async () => {
      const vector = readVectors().find((v) => v.kind === "deal")!;
      const deal: Record<string, unknown> = { ...(vector.value as Record<string, unknown>), id: vector.id };
      expect((await parseDeal(stringifyExact(deal), { verifyId: true })).id).to.equal(vector.id);
      const jobOffer = {
        ...(deal.job_offer as Record<string, unknown>),
        id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4",
      };
      const error = await asyncValidationError(() =>
        parseDeal(stringifyExact({ ...deal, job_offer: jobOffer }), { verifyId: true }),
      );
      expect(error.field).to.equal("job_offer.id");
      expect(error.subject).to.equal("deal");
    });

    it("verifies a result's ID by the same recipe", async () => {
      const result = {
        id: "",
        deal_id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4",
        results_id: "",
        error: "boom",
        instruction_count: 7,
      };
      const id = await getResultId(result);
      const parsed = await parseResult({ ...result, id }, { verifyId: true });
      expect(parsed.instruction_count).to.equal(7n);
      expect(id).to.not.equal(await getResultId({ ...result, instruction_count: 8 }));
    });
  });

  describe("results", () => {
    it("accepts a CIDv1 as the data's ID but only CIDv0 deal IDs", () => {
      const cidV1 = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
      expect(parseResult({ results_id: cidV1 }).results_id).to.equal(cidV1);
      expect(validationError(() => parseResult({ results_id: "not a cid" })).field).to.equal("results_id");
      expect(validationError(() => parseResult({ deal_id: cidV1 })).field).to.equal("deal_id");
    });
  });

  it("what it returns encodes to the same bytes as the input it came from", () => {
    const offer: JobOffer = parseJobOffer(validOffer);
    expect(encodeJson(offer, jobOfferSchema)).to.equal(encodeJson(validOffer, jobOfferSchema));
  });
});
