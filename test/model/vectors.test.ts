import fs from "node:fs";
import { expect } from "chai";
import {
  getDealId,
  getJobOfferId,
  getModuleId,
  getResourceOfferId,
  parseDeal,
  parseJobOffer,
  parseJson,
  parseResourceOffer,
  type DealInput,
  type JobOfferInput,
  type ModuleConfigInput,
  type ResourceOfferInput,
} from "../../src/model";
import {
  readVectors,
  seededRandom,
  shuffleKeys,
  stringifyExact,
  vectorsFixture,
  vectorsSpec,
  type IdVector,
} from "./helpers";

const SHUFFLES_PER_VECTOR = 6;

function idOf(kind: IdVector["kind"], value: unknown): Promise<string> {
  switch (kind) {
    case "job_offer":
      return getJobOfferId(value as JobOfferInput);
    case "resource_offer":
      return getResourceOfferId(value as ResourceOfferInput);
    case "deal":
      return getDealId(value as DealInput);
    case "module":
      return getModuleId(value as ModuleConfigInput);
  }
}

describe("model: reference ID vectors", () => {
  const vectors = readVectors();

  it("the fixture is the shared spec's id-vectors.jsonl", function () {
    if (!fs.existsSync(vectorsSpec)) this.skip();
    expect(fs.readFileSync(vectorsFixture, "utf8")).to.equal(fs.readFileSync(vectorsSpec, "utf8"));
  });

  it("has vectors of every kind, with uint64 values beyond 2^53 kept exact", () => {
    expect(new Set(vectors.map((v) => v.kind))).to.deep.equal(
      new Set(["job_offer", "resource_offer", "module", "deal"]),
    );
    const first = vectors[0].value as { pricing: { payment_collateral: unknown } };
    expect(first.pricing.payment_collateral).to.equal(18446744073709551613n);
  });

  vectors.forEach((vector, n) => {
    describe(`vector ${n + 1} (${vector.kind})`, () => {
      it("reproduces the reference ID", async () => {
        expect(await idOf(vector.kind, vector.value)).to.equal(vector.id);
      });

      it(`reproduces it with keys shuffled recursively (${SHUFFLES_PER_VECTOR} seeded shuffles)`, async () => {
        for (let seed = 1; seed <= SHUFFLES_PER_VECTOR; seed++) {
          const random = seededRandom(seed * 7919 + n);
          const shuffledValue = shuffleKeys(vector.value, random);
          // The shuffle must really move keys, or the test proves nothing.
          expect(Object.keys(shuffledValue as object)).to.have.members(Object.keys(vector.value as object));
          // Through text and back, as an untrusted peer's object would arrive.
          const reparsed = parseJson(stringifyExact(shuffledValue));
          expect(await idOf(vector.kind, reparsed), `seed ${seed}`).to.equal(vector.id);
        }
      });

      const kind = vector.kind;
      if (kind !== "module") {
        it("validates and verifies its ID through parseXxx (with the id filled in)", async () => {
          const withId = shuffleKeys({ ...(vector.value as object), id: vector.id }, seededRandom(n + 1));
          const text = stringifyExact(withId);
          const parse = (input: string): Promise<{ id: string }> =>
            ({ job_offer: parseJobOffer, resource_offer: parseResourceOffer, deal: parseDeal })[kind](input, {
              verifyId: true,
            });
          const parsed = await parse(text);
          expect(parsed.id).to.equal(vector.id);
          // A single changed amount breaks the ID.
          const tampered = text.replace(
            /"instruction_price":(\d+)/,
            (_, digits: string) => `"instruction_price":${BigInt(digits) + 1n}`,
          );
          expect(tampered).to.not.equal(text);
          const error = await parse(tampered).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect((error as { field?: string }).field).to.match(/(^|\.)id$/);
        });
      }
    });
  });

  it("shuffling actually reorders keys for some seed", () => {
    const value = vectors[0].value as object;
    const orders = new Set(
      Array.from({ length: SHUFFLES_PER_VECTOR }, (_, seed) =>
        Object.keys(shuffleKeys(value, seededRandom(seed * 7919))).join(),
      ),
    );
    expect(orders.size).to.be.greaterThan(1);
  });
});
