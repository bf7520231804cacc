// Host conformance: a subgraph written for the test (fixture/, AssemblyScript, built with graph-cli) calls every
// graph-ts API whose work the host does (src/indexer/wasm/host.ts), through SubgraphRunner, and the results are
// compared with graph-ts's documented behaviour. Sources, cited next to each expectation:
//   [api]   The Graph's AssemblyScript API reference (thegraph.com/docs/en/subgraphs/developing/creating/graph-ts/api)
//   [ts]    graph-ts 0.38's own sources and doc comments (node_modules/@graphprotocol/graph-ts)
//   [node]  graph-node, whose host functions graph-ts declares (runtime/wasm/src/host_exports.rs), and the Rust
//           crates it computes with (num-bigint: truncating division; bigdecimal: 34 significant digits)
// Expected values are literals worked out from those rules, or computed independently here (ethers' keccak256 and
// ABI coder, JavaScript BigInt, whose / and % truncate like Rust's).

import fs from "node:fs";
import { expect } from "chai";
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { DeterministicIndexingError } from "../../../src/indexer/subgraph/runner";
import { buildFixture, Harness, PROBE, type CaseEvent } from "./harness";

const abi = AbiCoder.defaultAbiCoder();
const OWNER = "0x00000000000000000000000000000000000000aa";

describe("indexer: graph-ts host conformance", function () {
  // graph codegen + graph build take ~10 s.
  this.timeout(180_000);

  let dir: string;
  let h: Harness;

  before(() => {
    dir = buildFixture();
    h = new Harness(dir);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one case that must fail the trigger, and checks that the trigger wrote nothing. */
  async function expectFailure(c: CaseEvent, message: RegExp): Promise<void> {
    const writes = h.writer.writes.length;
    let failure: unknown;
    try {
      await h.runBlock([c]);
    } catch (error) {
      failure = error;
    }
    expect(failure, `${c.kind} ${c.text ?? ""} must fail`).to.be.instanceOf(DeterministicIndexingError);
    expect((failure as Error).message).to.match(message);
    expect(h.writer.writes.length, "a failed trigger writes nothing").to.equal(writes);
  }

  describe("BigInt", () => {
    const BIG = 2n ** 300n + 12345n;
    const abs = (x: bigint): bigint => (x < 0n ? -x : x);
    const vectors: { a: bigint; b: bigint; big: bigint }[] = [
      { a: 7n, b: 2n, big: BIG },
      { a: -7n, b: 2n, big: -BIG },
      { a: 7n, b: -2n, big: BIG },
      { a: -7n, b: -2n, big: -BIG },
      { a: 0n, b: 5n, big: BIG },
      { a: 2n ** 255n - 1n, b: 3n, big: -BIG },
      { a: -(2n ** 255n), b: -7n, big: BIG * 3n },
    ];

    before(async () => {
      await h.runBlock(vectors.map((v) => ({ kind: "bigint", a: v.a, b: v.b, text: v.big.toString() })));
    });

    const texts = (v: { a: bigint; b: bigint; big: bigint }): string[] => h.out(`bigint:${v.big}:${v.a}:${v.b}`);

    it("plus, minus, times, div, mod, bitOr, bitAnd, pow, shifts, toHex, neg on negative and >2^256 values", () => {
      for (const { a, b, big } of vectors) {
        // [api] x.plus(y) x.minus(y) x.times(y) x.div(y) x.mod(y) x.bitOr(y) x.bitAnd(y) x.pow(n) x.leftShift(n)
        // x.rightShift(n) are arbitrary-precision integer arithmetic; [node] num-bigint: `/` truncates toward zero,
        // `%` takes the dividend's sign, & and | act on the infinite two's complement, as JavaScript BigInt does.
        // toHex: [node] big_int_to_hex, "0x" + the magnitude's big-endian hex without leading zeros, 0 is "0x0".
        const expected = [
          a + b,
          a - b,
          a * b,
          a / b,
          a % b,
          a | b,
          a & b,
          a ** 3n,
          a << 70n,
          abs(a) >> 3n,
          "0x" + abs(a).toString(16),
          -a,
          a ** 4n,
          big,
          big + a,
          big / b,
          big % b,
          big * big,
          a + b,
          a / b,
          a % b,
        ].map(String);
        expect(texts({ a, b, big }), `a=${a} b=${b}`).to.deep.equal(expected);
      }
    });

    it("division truncates toward zero and the remainder has the dividend's sign (literal cases)", () => {
      // [node] num-bigint's Div/Rem (Rust integer semantics): -7/2 = -3 rem -1, 7/-2 = -3 rem 1, -7/-2 = 3 rem -1.
      const divMod = (a: bigint, b: bigint): string[] =>
        texts(vectors.find((v) => v.a === a && v.b === b)!).slice(3, 5);
      expect(divMod(7n, 2n)).to.deep.equal(["3", "1"]);
      expect(divMod(-7n, 2n)).to.deep.equal(["-3", "-1"]);
      expect(divMod(7n, -2n)).to.deep.equal(["-3", "1"]);
      expect(divMod(-7n, -2n)).to.deep.equal(["3", "-1"]);
      // Two's complement bitwise operations: -7 | 2 = -5, -7 & 2 = 0, 7 | -2 = -1, 7 & -2 = 6.
      const bits = (a: bigint, b: bigint): string[] => texts(vectors.find((v) => v.a === a && v.b === b)!).slice(5, 7);
      expect(bits(-7n, 2n)).to.deep.equal(["-5", "0"]);
      expect(bits(7n, -2n)).to.deep.equal(["-1", "6"]);
      // 2^300 + 12345 survives fromString/toString (more than 256 bits).
      expect(texts(vectors[0])[13]).to.equal(
        "2037035976334486086268445688409378161051468393665936250636140449354381299763336706183409721",
      );
    });

    it("converts bytes ↔ BigInt as signed little-endian, and formats like graph-node", async () => {
      await h.runBlock([{ kind: "bigint-bytes" }]);
      expect(h.out("bigint-bytes")).to.deep.equal([
        // [ts] fromSignedBytes: little-endian two's complement; 0xff is -1.
        "-1",
        // [ts] fromUnsignedBytes appends a zero sign byte: 0xff is 255.
        "255",
        // A zero-length BigInt (graph-ts's own `new BigInt(0)`, used by BigDecimal.neg) is zero.
        "0",
        // [node] big_int_to_hex: zero is "0x0", no leading zeros, the sign dropped.
        "0x0",
        "0xff",
        "0x1000",
        "0xff",
        "0",
        "-2147483648",
        "-9223372036854775808",
        "18446744073709551615",
        // Host results read back by graph-ts's own compare/isZero/toI32 (so they are valid two's complement).
        "true",
        "-123456",
        "true",
      ]);
    });

    it("division and remainder by zero abort the trigger; fromString refuses non-integers", async () => {
      // [node] big_int_divided_by / big_int_mod: "attempted to divide BigInt ... by zero" is a deterministic error.
      await expectFailure({ kind: "bigint-div", a: 1n, b: 0n }, /divide BigInt `1` by zero/);
      await expectFailure({ kind: "bigint-mod", a: -1n, b: 0n }, /remainder of `-1` with a divisor of zero/);
      // [api] BigInt.fromString(s) parses a decimal integer; anything else is an error.
      await expectFailure({ kind: "bigint-fromstring", text: "12a" }, /not a decimal integer/);
      await expectFailure({ kind: "bigint-fromstring", text: "1.5" }, /not a decimal integer/);
    });
  });

  describe("BigDecimal", () => {
    // [api] BigDecimal: arbitrary precision decimal, rounded to 34 significant digits; toString is plain decimal
    // notation (no exponent), with no trailing zeros. [node] bigdecimal's with_prec rounds on the first dropped
    // digit (≥ 5 up). Each row: x+y, x-y, x*y, x/y, x, y, bigDecimal.equals(x, y), x == y, BigInt(10).divDecimal(y).
    const cases: [string, string[]][] = [
      [
        "1|3",
        [
          "4",
          "-2",
          "3",
          "0.3333333333333333333333333333333333",
          "1",
          "3",
          "false",
          "false",
          "3.333333333333333333333333333333333",
        ],
      ],
      [
        "2|3",
        [
          "5",
          "-1",
          "6",
          "0.6666666666666666666666666666666667",
          "2",
          "3",
          "false",
          "false",
          "3.333333333333333333333333333333333",
        ],
      ],
      [
        "1|7",
        [
          "8",
          "-6",
          "7",
          "0.1428571428571428571428571428571429",
          "1",
          "7",
          "false",
          "false",
          "1.428571428571428571428571428571429",
        ],
      ],
      // Decimal, not binary, fractions: 0.1 + 0.2 is exactly 0.3.
      ["0.1|0.2", ["0.3", "-0.1", "0.02", "0.5", "0.1", "0.2", "false", "false", "50"]],
      // 1.50 and 1.5 are the same number.
      ["1.50|1.5", ["3", "0", "2.25", "1", "1.5", "1.5", "true", "true", "6.666666666666666666666666666666667"]],
      // Exponent notation in, plain notation out.
      ["1e3|-2.5", ["997.5", "1002.5", "-2500", "-400", "1000", "-2.5", "false", "false", "-4"]],
      [
        "-0.000123|1000",
        ["999.999877", "-1000.000123", "-0.123", "-0.000000123", "-0.000123", "1000", "false", "false", "0.01"],
      ],
      // 38 digits in: 34 kept (…1234|5678 → …1235), the rest become zeros; ±1 does not survive the rounding.
      [
        "12345678901234567890123456789012345678|1",
        [
          "12345678901234567890123456789012350000",
          "12345678901234567890123456789012350000",
          "12345678901234567890123456789012350000",
          "12345678901234567890123456789012350000",
          "12345678901234567890123456789012350000",
          "1",
          "false",
          "false",
          "10",
        ],
      ],
      // The 39-digit product 123456790123456790120987654320987654321 rounds to 34 digits (…9876|54321 → …9877);
      // 10 / (10^20-1)/9 = 9e-19 + 9e-39 + 9e-59…, whose third term lies beyond the 34th digit.
      [
        "11111111111111111111|11111111111111111111",
        [
          "22222222222222222222",
          "0",
          "123456790123456790120987654320987700000",
          "1",
          "11111111111111111111",
          "11111111111111111111",
          "true",
          "true",
          "0.000000000000000000900000000000000000009",
        ],
      ],
    ];

    before(async () => {
      await h.runBlock(cases.map(([text]) => ({ kind: "bigdecimal", text })));
    });

    for (const [text, expected] of cases) {
      it(`${text.replace("|", " and ")}`, () => {
        expect(h.out(`bigdecimal:${text}`)).to.deep.equal(expected);
      });
    }

    it("division by zero aborts; fromString refuses what is not a number", async () => {
      // [node] big_decimal_divided_by: dividing by zero is a deterministic error.
      await expectFailure({ kind: "bigdecimal-div", text: "1.5" }, /divide BigDecimal `1.5` by zero/);
      await expectFailure({ kind: "bigdecimal-fromstring", text: "one" }, /not a decimal number/);
      // [node] BigDecimal::from_str (the bigdecimal crate) takes the number alone, no surrounding whitespace.
      await expectFailure({ kind: "bigdecimal-fromstring", text: " 1.5" }, /not a decimal number/);
    });
  });

  describe("Bytes, strings, Address, keccak256", () => {
    // Bitcoin's base58 test vectors (bitcoin/src/test/data/base58_encode_decode.json); [api] toBase58 is the
    // Bitcoin alphabet (IPFS CIDs), leading zero bytes as leading "1"s, empty bytes as "".
    const base58: [string, string][] = [
      ["0x", ""],
      ["0x61", "2g"],
      ["0x626262", "a3gV"],
      ["0x636363", "aPEr"],
      ["0x73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"],
      ["0x00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"],
      ["0x516b6fcd0f", "ABnLTmg"],
      ["0xbf4f89001e670274dd", "3SEo3LWLoPntC"],
      ["0xecac89cad93923c02321", "EJDM8drfXA6uyA"],
      ["0x00000000000000000000", "1111111111"],
    ];
    const TEXT = "héllo ✓ 𝄞";

    before(async () => {
      await h.runBlock([
        ...base58.map(([data], i) => ({ kind: "bytes", data, text: String(i) })),
        { kind: "strings", text: TEXT, data: "0x616263000000" },
      ]);
    });

    it("toHexString/toHex (0x, lower case), toBase58, crypto.keccak256", () => {
      base58.forEach(([data, encoded], i) => {
        expect(h.out(`bytes:${i}`), data).to.deep.equal([data, data, encoded, keccak256(data)]);
      });
    });

    it("UTF-8 and string conversions, Address.fromString, keccak of known inputs", () => {
      const utf8Hex = "0x" + Buffer.from(TEXT, "utf8").toString("hex");
      expect(h.out("strings")).to.deep.equal([
        // [ts] Bytes.fromUTF8 encodes UTF-8 (a surrogate pair becomes one 4-byte sequence).
        utf8Hex,
        // [api] toString() interprets the bytes as UTF-8: the round trip is exact.
        TEXT,
        // [node] bytes_to_string trims trailing NULs (strings padded in fixed buffers).
        "abc",
        // [api] Address.fromString takes hex with or without 0x, any case; toHexString is lower case.
        PROBE,
        PROBE,
        // keccak256("Transfer(address,address,uint256)"), the ERC-20 topic, and of the empty input.
        keccak256(toUtf8Bytes("Transfer(address,address,uint256)")),
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
        "0x",
      ]);
      expect(h.out("strings")[5]).to.equal("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    });

    it("NUL: toString trims trailing NULs only; the host drops any NUL in a string the mapping passes it", async () => {
      // [node] bytes_to_string: s.trim_end_matches('\u{0000}'), so 0x610062000000 is "a\0b" (3 characters) in the
      // mapping; FromAscObj<AscString> for String: "Strip null characters since they are not accepted by
      // Postgres", so the stored text is "ab".
      await h.runBlock([{ kind: "nul" }]);
      expect(h.out("nul")).to.deep.equal(["3", "ab"]);
    });

    it("Address.fromString of something that is not 20 bytes of hex aborts", async () => {
      // [node] string_to_h160: "Failed to convert string to Address/H160".
      await expectFailure({ kind: "address", text: "0x1234" }, /Address\/H160/);
      await expectFailure({ kind: "address", text: "0x" + "zz".repeat(20) }, /Address\/H160/);
    });
  });

  describe("ethereum.encode / ethereum.decode and event parameters", () => {
    const TUPLE = "tuple(address,uint256,int256,bool,string,bytes,uint256[],address[],bytes32)";
    const MAX = 2n ** 256n - 1n;
    const DEAD = "0x000000000000000000000000000000000000dEaD";
    const a = 2n ** 255n - 1n;
    const b = -(2n ** 255n);

    before(async () => {
      const data = abi.encode(["tuple(int8,string,bool[],address)"], [[-5, "ünïcode", [true, false, true], DEAD]]);
      await h.runBlock([{ kind: "abi", a, b, data }]);
    });

    it("round-trips a tuple of every kind (address, uint, negative int, bool, string, bytes, arrays, bytes32)", () => {
      const texts = h.out("abi");
      // [api] ethereum.encode(value) is the ABI encoding (ethabi::encode) of the one value; checked with ethers.
      const expected = abi.encode(
        [TUPLE],
        [
          [
            PROBE,
            MAX,
            -42n,
            true,
            "héllo ✓",
            "0x0102030405",
            [1n, 2n, 3n],
            ["0x" + "00".repeat(19) + "01", "0x" + "ff".repeat(20)],
            "0x" + "ab".repeat(32),
          ],
        ],
      );
      expect(texts[0]).to.equal(expected);
      // [api] ethereum.decode(types, data) gives the values back (null when the data does not decode).
      expect(texts.slice(1, 10)).to.deep.equal([
        PROBE,
        MAX.toString(),
        "-42",
        "true",
        "héllo ✓",
        "0x0102030405",
        "1,2,3",
        "0x0000000000000000000000000000000000000001,0xffffffffffffffffffffffffffffffffffffffff",
        "0x" + "ab".repeat(32),
      ]);
    });

    it("encodes single values as the ABI does: negative ints in two's complement, strings and arrays with offsets", () => {
      const texts = h.out("abi");
      expect(texts[10]).to.equal("0x" + "ff".repeat(32));
      expect(texts[11]).to.equal(abi.encode(["int256"], [-2n]));
      expect(texts[12]).to.equal(abi.encode(["string"], ["abc"]));
      expect(texts[13]).to.equal(abi.encode(["bool[]"], [[true, false]]));
      // A 70-digit negative int256 survives encode → decode.
      expect(texts[18]).to.equal("-" + "9".repeat(70));
      expect(texts[19], "decode of data too short returns null").to.equal("true");
    });

    it("decodes data encoded by ethers (int8 negative, string, bool[], address)", () => {
      expect(h.out("abi").slice(14, 18)).to.deep.equal(["-5", "ünïcode", "true,false,true", DEAD.toLowerCase()]);
    });

    it("decode of types that do not parse aborts (only undecodable data gives null)", async () => {
      // [node] ethereum_decode: Reader::read(types) failing is an error; decode failing is None (null).
      await expectFailure({ kind: "decode-types", text: "(uint256,,", data: "0x" }, /types/);
    });

    it("passes int256 event parameters at both ends of the range", () => {
      expect(h.out("abi").slice(20)).to.deep.equal([a.toString(), b.toString()]);
    });
  });

  describe("json", () => {
    const DOC = JSON.stringify({
      s: 'x"y',
      arr: [true, null, 1.5],
      nested: { k: "v" },
    })
      // Numbers JavaScript cannot hold: JSON keeps their text, and so must the host ([node] serde_json with
      // arbitrary_precision; graph-ts hands the number's text to json.toBigInt/toI64/toU64).
      .replace("{", '{"big":123456789012345678901234567890123456789,"neg":-42,"small":18446744073709551615,');

    before(async () => {
      await h.runBlock([{ kind: "json", text: DOC }]);
    });

    it("fromString, toObject/toArray, toBigInt/toI64/toU64/toF64 of numbers as text, try_fromString", () => {
      expect(h.out("json")).to.deep.equal([
        "123456789012345678901234567890123456789",
        "-42",
        "-42",
        "18446744073709551615",
        'x"y',
        "true",
        "true",
        "1.5",
        "3",
        "v",
        // [ts] TypedMap.get of an absent key is null.
        "true",
        // [ts] JSONValueKind: ARRAY = 4, OBJECT = 5, NUMBER = 2.
        "4,5,2",
        // [api] try_fromString: an error Result for invalid JSON, never an abort.
        "true,false",
        "true,1",
      ]);
    });

    it("fromString of invalid JSON, toI64 of a fraction or of too large a number, toBigInt of a fraction abort", async () => {
      await expectFailure({ kind: "json-bad", text: "{bad" }, /json/i);
      // [node] json_to_i64 is i64::from_str: "1.5" and 2^63 are errors.
      await expectFailure({ kind: "json-toi64", text: "1.5" }, /not an integer/);
      await expectFailure({ kind: "json-toi64", text: "9223372036854775808" }, /does not fit in an i64/);
      // [node] json_to_big_int: "JSON `1.5` is not a decimal string".
      await expectFailure({ kind: "json-tobigint", text: "1.5" }, /not a decimal integer/);
    });
  });

  describe("dataSource and log", () => {
    it("dataSource.address, network and every kind of context entry", async () => {
      await h.runBlock([{ kind: "datasource" }]);
      expect(h.out("datasource")).to.deep.equal([
        PROBE,
        "testnet",
        "hello",
        "-7",
        "9007199254740993",
        "-115792089237316195423570985008687907853269984665640564039457584007913129639936",
        "-12.5",
        "true",
        "0xdeadbeef",
        "true",
      ]);
    });

    it("log.debug/info/warning/error format their arguments and reach the logger", async () => {
      h.logs.length = 0;
      await h.runBlock([{ kind: "log", text: "t" }]);
      // [api] log.info("… {} …", [args]): each {} replaced by the next argument.
      expect(h.logs).to.deep.equal([
        { level: "debug", msg: "debug t 1" },
        { level: "info", msg: "info t 2" },
        { level: "warn", msg: "warning t" },
        { level: "error", msg: "error t" },
      ]);
    });

    it("log.critical and a failed assert abort the trigger", async () => {
      // [ts] "Logs a critical message that terminates the subgraph."
      await expectFailure({ kind: "critical", text: "boom" }, /critical boom/);
      await expectFailure({ kind: "assert", text: "my assertion" }, /my assertion/);
    });
  });

  describe("store", () => {
    const FULL = {
      id: "kitchen-1",
      str: "héllo",
      int: -2147483648,
      int8: -9223372036854775808n,
      big: -(10n ** 90n),
      dec: "-0.0000000123456",
      bytes: "0xdeadbeef",
      bool: false,
      ts: 1700000000123456,
      color: "Green",
      optStr: "optional",
      optInt: 0,
      strs: ["a", "", "c"],
      maybeStrs: ["x", null, "z"],
      ints: [1, -1, 2147483647],
      bigs: [0n, 2n ** 128n],
      decs: ["0.1", "1000"],
      bytesList: ["0x", "0x00ff"],
      bools: [true, false],
      int8s: [1, -1, 9223372036854775807n],
      colors: ["Red", "Green", "Red"],
      owner: OWNER,
      owners: [OWNER],
    };
    /** describeKitchen's fields, in its order, for FULL. */
    const described = [
      "kitchen-1",
      "héllo",
      "-2147483648",
      "-9223372036854775808",
      "-1" + "0".repeat(90),
      "-0.0000000123456",
      "0xdeadbeef",
      "false",
      "1700000000123456",
      "Green",
      "optional",
      "0",
      "<null>",
      "a,,c",
      "x,<null>,z",
      "1,-1,2147483647",
      "340282366920938463463374607431768211456",
      "0.1,1000",
      "0x,0x00ff",
      "true,false",
      "1,-1,9223372036854775807",
      "Red,Green,Red",
      OWNER,
      OWNER,
    ];
    let firstBlock: number;

    before(async () => {
      firstBlock = await h.runBlock([
        { kind: "save", text: "kitchen-1" },
        { kind: "partial", text: "kitchen-1", a: 1n },
        { kind: "load", text: "kitchen-1", a: 1n },
      ]);
    });

    it("saves every value kind (lists, nullable items, Int8 beyond 2^53, references) as the schema types them", () => {
      const first = h.writer.writes.find((w) => w.entity === "Kitchen" && w.id === "kitchen-1");
      expect(first?.block).to.equal(firstBlock);
      expect(first?.record).to.deep.equal(FULL);
      expect(h.writer.get("Owner", OWNER)).to.deep.equal({ id: OWNER, name: "owner" });
    });

    it("store.get and get_in_block return an entity saved earlier in the same trigger, with every value intact", () => {
      // [api] load returns what the handler saved; loadInBlock finds entities created or updated in this block.
      expect(h.out("save:kitchen-1")).to.deep.equal([...described, "owner", OWNER]);
    });

    it("saving a partial entity merges into the stored one; an unset field is removed", () => {
      // [api] "Fields that were not set or unset remain unchanged, allowing for partial updates"; unset(field)
      // stores null, which removes the field. The earlier trigger's entity is visible to load and loadInBlock.
      const merged = described.slice();
      merged[1] = "changed";
      merged[10] = "<null>";
      merged[12] = "-1";
      expect(h.out("partial:kitchen-1:1")).to.deep.equal(["found", "found", ...merged]);
      const { optStr: _removed, ...rest } = FULL;
      expect(h.writer.get("Kitchen", "kitchen-1")).to.deep.equal({ ...rest, str: "changed", optBig: -1n });
    });

    it("loadInBlock sees this block's writes from earlier triggers, and nothing from earlier blocks", async () => {
      // [api] "If there is no entity created in the given block, loadInBlock will return null even if there is an
      // entity with the given ID in the store."
      expect(h.out("load:kitchen-1:1")).to.deep.equal(["changed", "changed", "found"]);
      await h.runBlock([{ kind: "load", text: "kitchen-1", a: 2n }]);
      expect(h.out("load:kitchen-1:2")).to.deep.equal(["changed", "<null>", "<null>"]);
    });

    it("an entity loaded, changed and saved over and over keeps every value, in one trigger and across blocks", async () => {
      // [api] load → set → save → load, as a handler updates one entity on each of its events (the host hands such
      // an entity out from an image of its last save; a Bytes the mapping changed in place is saved as changed).
      await h.runBlock([{ kind: "save", text: "kitchen-2" }]);
      const steps = [
        { a: 3n, flip: true },
        { a: 5n, flip: false },
        { a: -7n, flip: false },
        { a: 11n, flip: true },
        { a: 2n ** 70n, flip: true },
      ];
      const expected: Record<string, unknown> = { ...FULL, id: "kitchen-2" };
      for (let i = 0; i < steps.length; i += 2) {
        const block = steps.slice(i, i + 2);
        await h.runBlock(block.map(({ a, flip }) => ({ kind: "bump", text: "kitchen-2", a, b: flip ? 1n : 0n })));
        for (const { a, flip } of block) {
          expected.int = (expected.int as number) + 1;
          expected.big = (expected.big as bigint) + a;
          expected.str = `${String(expected.str)}+`;
          expected.ts = (expected.ts as number) + 1;
          expected.bool = !(expected.bool as boolean);
          if (flip) {
            const bytes = Buffer.from((expected.bytes as string).slice(2), "hex");
            bytes[0] ^= 0xff;
            expected.bytes = "0x" + bytes.toString("hex");
          }
          const shown = h.out(`bump:kitchen-2:${a}`);
          expect(shown.slice(0, 9)).to.deep.equal([
            "kitchen-2",
            expected.str,
            String(expected.int),
            described[3],
            String(expected.big),
            described[5],
            expected.bytes,
            String(expected.bool),
            String(expected.ts),
          ]);
          expect(shown.slice(9)).to.deep.equal(described.slice(9));
        }
        expect(h.writer.get("Kitchen", "kitchen-2")).to.deep.equal(expected);
      }
    });

    it("rejects an entity that breaks the schema: missing required field, wrong type, bad enum value, unknown or derived field", async () => {
      // [node] entity validation on store.set: every non-null field must have a value (after the merge), values
      // must have their field's type, enum values must be the enum's, fields must exist and not be derived.
      await expectFailure({ kind: "invalid", text: "missing-required" }, /missing value for non-nullable field `int`/);
      await expectFailure(
        { kind: "invalid", text: "missing-after-merge" },
        /missing value for non-nullable field `int`/,
      );
      await expectFailure({ kind: "invalid", text: "wrong-type" }, /`int` must have type Int! but has type String/);
      await expectFailure(
        { kind: "invalid", text: "wrong-list-item" },
        /`ints` must have type \[Int!\] but has type String/,
      );
      await expectFailure({ kind: "invalid", text: "bad-enum" }, /`Purple`.*enum Color/);
      await expectFailure({ kind: "invalid", text: "unknown-field" }, /unknown field `nope`/);
      await expectFailure({ kind: "invalid", text: "derived-field" }, /`kitchens` is derived/);
      // [node] store.set: an `id` attribute different from the id passed is an error.
      await expectFailure({ kind: "invalid", text: "conflicting-id" }, /conflicting 'id'/);
      // The stored entity is untouched by the failed saves.
      expect(h.writer.get("Kitchen", "kitchen-1")?.int).to.equal(-2147483648);
      // A valid entity through store.set directly is saved.
      await h.runBlock([{ kind: "invalid", text: "raw-valid" }]);
      expect(h.out("raw")).to.deep.equal(["r"]);
    });

    it("Int8 ids beyond 2^53 and at i64's minimum are kept exactly", async () => {
      // [api] Int8 is a 64-bit signed integer; the store keeps Int8 as a number when safe, else a bigint.
      await h.runBlock([{ kind: "int8-id" }]);
      expect(h.out("int8-id")).to.deep.equal(["9007199254740993=0", "-9223372036854775808=1", "-1=2"]);
      expect(h.writer.get("Tally", "9007199254740993")).to.deep.equal({ id: 9007199254740993n, n: 0 });
      expect(h.writer.get("Tally", "-9223372036854775808")).to.deep.equal({ id: -9223372036854775808n, n: 1 });
      expect(h.writer.get("Tally", "-1")).to.deep.equal({ id: -1, n: 2 });
    });

    it("store.remove: the entity is gone for load and loadInBlock, in this trigger and the next", async () => {
      const block = await h.runBlock([
        { kind: "remove", text: "kitchen-1" },
        { kind: "load", text: "kitchen-1", a: 3n },
      ]);
      expect(h.out("remove:kitchen-1")).to.deep.equal(["<null>", "<null>"]);
      expect(h.out("load:kitchen-1:3")).to.deep.equal(["<null>", "<null>", "<null>"]);
      expect(h.writer.get("Kitchen", "kitchen-1")).to.equal(null);
      expect(h.writer.lastWriteBlock("Kitchen", "kitchen-1")).to.equal(block);
    });
  });
});
