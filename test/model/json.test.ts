import { expect } from "chai";
import {
  AccordValidationError,
  calculateCid,
  cidOfBlock,
  compareUtf8,
  dealPricingSchema,
  encodeDagPbBlock,
  encodeJson,
  encodeJsonBytes,
  goInt,
  goMap,
  goSlice,
  goString,
  goStruct,
  goUint64,
  goUint8,
  jobOfferSchema,
  machineSpecSchema,
  moduleSchema,
  opaqueJson,
  quoteJsonString,
  serviceConfigSchema,
  UINT64_MAX,
} from "../../src/model";
import { hex } from "./helpers";

function encodingError(run: () => unknown): AccordValidationError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordValidationError;
  }
  expect.fail("expected an AccordValidationError");
}

describe("model: Go-compatible JSON encoder", () => {
  describe("string escaping (Go 1.21)", () => {
    it("escapes quote, backslash, \\n \\r \\t with their short forms", () => {
      expect(quoteJsonString('a"b\\c\nd\re\tf')).to.equal('"a\\"b\\\\c\\nd\\re\\tf"');
    });

    it("escapes every other control character as \\u00XX in lower-case hex (no \\b or \\f: that is Go 1.22)", () => {
      for (let code = 0; code < 0x20; code++) {
        const c = String.fromCharCode(code);
        const expected =
          ({ 10: "\\n", 13: "\\r", 9: "\\t" } as Record<number, string>)[code] ??
          `\\u00${code.toString(16).padStart(2, "0")}`;
        expect(quoteJsonString(c), `U+${code.toString(16)}`).to.equal(`"${expected}"`);
      }
      expect(quoteJsonString("\b\f\u001f\u000b")).to.equal('"\\u0008\\u000c\\u001f\\u000b"');
    });

    it("escapes < > & for HTML safety", () => {
      expect(quoteJsonString("<a href='x'>&</a>")).to.equal("\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\"");
    });

    it("escapes U+2028 and U+2029", () => {
      expect(quoteJsonString("x\u2028y\u2029z")).to.equal('"x\\u2028y\\u2029z"');
    });

    it("writes DEL, non-ASCII and astral characters raw, as UTF-8", () => {
      const text = "\u007f é ß 中 😀 \uFFFD \uFEFF \u2027 \u202a";
      expect(quoteJsonString(text)).to.equal(`"${text}"`);
      expect(hex(encodeJsonBytes("\u007fé😀", goString()))).to.equal("227fc3a9f09f988022");
    });

    it("turns lone surrogates into U+FFFD, written raw as a Go peer decoding the same text would", () => {
      expect(quoteJsonString("a\uD800b")).to.equal('"a\uFFFDb"');
      expect(quoteJsonString("\uDC00")).to.equal('"\uFFFD"');
      expect(quoteJsonString("\uDE00\uD83D")).to.equal('"\uFFFD\uFFFD"');
      // A proper pair is one character, kept.
      expect(quoteJsonString("\uD83D\uDE00")).to.equal('"😀"');
      expect(hex(encodeJsonBytes("\uD800", goString()))).to.equal("22efbfbd22");
    });
  });

  describe("map key order", () => {
    it("sorts keys by UTF-8 bytes, where astral characters come after U+E000–U+FFFF", () => {
      const map = {
        "😀": "astral",
        "\uFFFF": "ffff",
        "\uE000": "e000",
        é: "e-acute",
        b: "b",
        a: "a",
        "": "empty",
        ab: "ab",
      };
      expect(encodeJson(map, goMap(goString()))).to.equal(
        '{"":"empty","a":"a","ab":"ab","b":"b","é":"e-acute","\uE000":"e000","\uFFFF":"ffff","😀":"astral"}',
      );
      // JavaScript's own (UTF-16) order disagrees, which is the point of the test.
      const utf16Order = Object.keys(map).sort();
      expect(utf16Order.indexOf("😀")).to.be.lessThan(utf16Order.indexOf("\uE000"));
    });

    it("compareUtf8 agrees with comparing the UTF-8 bytes", () => {
      const strings = ["\uE000", "😀", "\uFFFF", "\uD7FF", "a", "ab", "", "\u{10FFFF}", "\u{10000}", "zz", "é"];
      for (const x of strings) {
        for (const y of strings) {
          expect(Math.sign(compareUtf8(x, y)), `${x} vs ${y}`).to.equal(
            Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))),
          );
        }
      }
    });

    it("refuses two keys that become the same key once lone surrogates are replaced", () => {
      const error = encodingError(() => encodeJson({ "\uD800": "x", "\uD801": "y" }, goMap(goString())));
      expect(error.field).to.equal('["\uFFFD"]');
    });
  });

  describe("nil versus empty", () => {
    const schema = goStruct("T", [
      ["list", goSlice(goString())],
      ["map", goMap(goString())],
    ]);

    it("writes null for a null or missing slice or map", () => {
      expect(encodeJson({ list: null, map: null }, schema)).to.equal('{"list":null,"map":null}');
      expect(encodeJson({}, schema)).to.equal('{"list":null,"map":null}');
      expect(encodeJson({ list: undefined, map: undefined }, schema)).to.equal('{"list":null,"map":null}');
    });

    it("writes [] and {} for empty ones", () => {
      expect(encodeJson({ list: [], map: {} }, schema)).to.equal('{"list":[],"map":{}}');
    });

    it('writes "" for a missing string, 0 for a missing number, zero values for a missing struct', () => {
      expect(encodeJson({}, serviceConfigSchema)).to.equal('{"solver":"","mediator":null}');
      expect(encodeJson(undefined, machineSpecSchema)).to.equal('{"gpu":0,"cpu":0,"ram":0}');
      expect(
        encodeJson(
          { spec: null },
          goStruct("S", [
            ["spec", machineSpecSchema],
            ["name", goString()],
          ]),
        ),
      ).to.equal('{"spec":{"gpu":0,"cpu":0,"ram":0},"name":""}');
    });

    it("leaves out map entries whose value is undefined", () => {
      expect(encodeJson({ a: "1", b: undefined }, goMap(goString()))).to.equal('{"a":"1"}');
    });
  });

  describe("integers", () => {
    it("writes uint64 values up to 18446744073709551615 in full", () => {
      expect(UINT64_MAX).to.equal(18446744073709551615n);
      expect(
        encodeJson({ instruction_price: UINT64_MAX, payment_collateral: 9007199254740993n }, dealPricingSchema),
      ).to.equal(
        '{"instruction_price":18446744073709551615,"payment_collateral":9007199254740993,"results_collateral_multiple":0,"mediation_fee":0}',
      );
    });

    it("accepts safe-integer numbers for uint64", () => {
      expect(encodeJson(9007199254740991, goUint64)).to.equal("9007199254740991");
      expect(encodeJson(-0, goUint64)).to.equal("0");
    });

    it("refuses uint64 values out of range, with the field's path", () => {
      const schema = goStruct("T", [["pricing", dealPricingSchema]]);
      const tooBig = encodingError(() => encodeJson({ pricing: { payment_collateral: UINT64_MAX + 1n } }, schema));
      expect(tooBig.field).to.equal("pricing.payment_collateral");
      expect(tooBig.rule).to.match(/unsigned 64-bit/);
      expect(tooBig.message).to.contain("pricing.payment_collateral").and.contain(tooBig.rule);
      expect(encodingError(() => encodeJson(-1n, goUint64)).rule).to.match(/unsigned 64-bit/);
      expect(encodingError(() => encodeJson(-1, goUint64)).rule).to.match(/unsigned 64-bit/);
    });

    it("refuses numbers beyond 2^53 (they may have been rounded), fractions and non-numbers", () => {
      expect(encodingError(() => encodeJson(2 ** 53, goUint64)).rule).to.match(/lost precision/);
      expect(encodingError(() => encodeJson(1.5, goUint64)).rule).to.match(/unsigned 64-bit/);
      expect(encodingError(() => encodeJson("5", goUint64)).rule).to.match(/unsigned 64-bit/);
      expect(encodingError(() => encodeJson(NaN, goInt)).rule).to.match(/signed 64-bit/);
    });

    it("checks int (int64) and uint8 ranges", () => {
      expect(encodeJson(-42, goInt)).to.equal("-42");
      expect(encodeJson(-(2n ** 63n), goInt)).to.equal("-9223372036854775808");
      expect(encodingError(() => encodeJson(2n ** 63n, goInt)).rule).to.match(/signed 64-bit/);
      expect(encodeJson(255, goUint8)).to.equal("255");
      expect(encodingError(() => encodeJson(256, goUint8)).rule).to.match(/8-bit/);
    });
  });

  describe("structs", () => {
    it("writes fields in declaration order whatever the object's key order, ignoring unknown keys", () => {
      expect(encodeJson({ ram: 3, extra: "ignored", cpu: 2, gpu: 1 }, machineSpecSchema)).to.equal(
        '{"gpu":1,"cpu":2,"ram":3}',
      );
    });

    it("refuses a value of the wrong type, naming the field", () => {
      const error = encodingError(() => encodeJson({ trusted_parties: { mediator: ["0x1", 7] } }, jobOfferSchema));
      expect(error.field).to.equal("trusted_parties.mediator[1]");
      expect(error.rule).to.equal("must be a string");
      expect(encodingError(() => encodeJson({ inputs: [] }, jobOfferSchema)).field).to.equal("inputs");
      expect(encodingError(() => encodeJson({ spec: "x" }, jobOfferSchema)).field).to.equal("spec");
      expect(
        encodingError(() =>
          encodeJson(
            { module_pricing: { "a b": { mediation_fee: -1 } } },
            goStruct("T", [["module_pricing", goMap(dealPricingSchema)]]),
          ),
        ).field,
      ).to.equal('module_pricing["a b"].mediation_fee');
    });

    it("writes no whitespace and no trailing newline", () => {
      const text = encodeJson({ id: "x", inputs: { k: "v" } }, jobOfferSchema);
      expect(text).to.not.match(/\s/);
      expect(
        text.startsWith('{"id":"x","created_at":0,"job_creator":"","module":{"name":"","repo":"","hash":"","path":""}'),
      ).to.equal(true);
    });
  });

  describe("opaque JSON (Module.job)", () => {
    it("sorts object keys by UTF-8 bytes at every depth, keeps array order", () => {
      expect(encodeJson({ b: [3, 1, { z: 1, a: 2 }], a: { "😀": 1, "\uE000": 2 } }, opaqueJson)).to.equal(
        '{"a":{"\uE000":2,"😀":1},"b":[3,1,{"a":2,"z":1}]}',
      );
    });

    it("writes numbers as Go writes a float64, bigints in full", () => {
      expect(encodeJson([1e21, 1e20, 1e-7, 0.000001, 0.1, -0, 1.5e300, 2n ** 70n], opaqueJson)).to.equal(
        "[1e+21,100000000000000000000,1e-7,0.000001,0.1,-0,1.5e+300,1180591620717411303424]",
      );
    });

    it("escapes strings as the struct encoder does", () => {
      expect(encodeJson({ "<k>": "&\u2028" }, opaqueJson)).to.equal('{"\\u003ck\\u003e":"\\u0026\\u2028"}');
    });

    it("refuses NaN, Infinity, cycles and non-JSON objects", () => {
      expect(encodingError(() => encodeJson({ x: NaN }, opaqueJson)).field).to.equal("x");
      expect(encodingError(() => encodeJson([Infinity], opaqueJson)).field).to.equal("[0]");
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(encodingError(() => encodeJson(cyclic, opaqueJson)).rule).to.match(/cycle/);
      expect(encodingError(() => encodeJson({ d: new Date(0) }, opaqueJson)).field).to.equal("d");
    });

    it("is the `job` of a Module, after its machine spec", () => {
      expect(encodeJson({ job: { b: [1.5], a: "x" }, machine: { gpu: 1 } }, moduleSchema)).to.equal(
        '{"machine":{"gpu":1,"cpu":0,"ram":0},"job":{"a":"x","b":[1.5]}}',
      );
      expect(encodeJson({}, moduleSchema)).to.equal('{"machine":{"gpu":0,"cpu":0,"ram":0},"job":null}');
    });

    it("allows the same object twice (a repeat is not a cycle)", () => {
      const shared = { a: 1 };
      expect(encodeJson([shared, shared], opaqueJson)).to.equal('[{"a":1},{"a":1}]');
    });
  });

  describe("the spec's check: {}", () => {
    it("gives block 0a027b7d and ID QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4", async () => {
      const bytes = encodeJsonBytes({}, goMap(goString()));
      expect(hex(bytes)).to.equal("7b7d");
      const block = await encodeDagPbBlock(bytes);
      expect(hex(block)).to.equal("0a027b7d");
      expect(await cidOfBlock(block)).to.equal("QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4");
      expect(await calculateCid({}, goStruct("Empty", []))).to.equal("QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4");
      expect(await calculateCid({}, opaqueJson)).to.equal("QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4");
    });

    it("uses a multi-byte uvarint length for data of 128 bytes and more", async () => {
      const data = new Uint8Array(300).fill(0x61);
      const block = await encodeDagPbBlock(data);
      expect(hex(block.subarray(0, 3))).to.equal("0aac02");
      expect(block.length).to.equal(303);
    });
  });
});
