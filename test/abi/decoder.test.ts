// The ABI-driven event decoder (src/abi): random events of every ABI type, encoded by ethers' AbiCoder (the
// reference), decode to the values that were encoded; malformed logs are AbiDecodeErrors naming the parameter;
// and every log the Accord contracts emit on the Hardhat network decodes as ethers' Interface decodes it.
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { AbiCoder, Interface, id as keccakUtf8, keccak256, type Log } from "ethers";
import type { AbiEvent, AbiParameter } from "abitype" with { "resolution-mode": "import" };
import {
  AbiDecodeError,
  accordTokenAbi,
  createEventDecoder,
  dealMarketAbi,
  dealMarketDecoder,
  eventSignature,
  serviceRegistryAbi,
  type AbiValue,
  type AccordEvent,
  type AccordEventOf,
  type EventDecoder,
  type LogLike,
} from "../../src/abi";
import { deployAccord } from "../../src/deployments";
import { DEAL_PATHS, MarketActivity } from "../../src/devnet/activity";
import { plain } from "../helpers/ethers-values";

const coder = AbiCoder.defaultAbiCoder();

/*//////////////////////////////////////////////////////////////
                      RANDOM TYPES AND VALUES
//////////////////////////////////////////////////////////////*/

type TypeShape =
  | { kind: "address" | "bool" | "bytes" | "string" }
  | { kind: "uint" | "int"; bits: number }
  | { kind: "fixedBytes"; size: number }
  | { kind: "array"; element: TypeShape; length: number | null }
  | { kind: "tuple"; components: { name: string; type: TypeShape }[] };

const leafShape: fc.Arbitrary<TypeShape> = fc.oneof(
  fc.constantFrom<TypeShape>({ kind: "address" }, { kind: "bool" }, { kind: "bytes" }, { kind: "string" }),
  fc
    .record({ kind: fc.constantFrom("uint" as const, "int" as const), bits: fc.integer({ min: 1, max: 32 }) })
    .map(({ kind, bits }): TypeShape => ({ kind, bits: bits * 8 })),
  fc.integer({ min: 1, max: 32 }).map((size): TypeShape => ({ kind: "fixedBytes", size })),
);

const shapeOf: fc.Memo<TypeShape> = fc.memo((depth) =>
  depth <= 1
    ? leafShape
    : fc.oneof(
        { weight: 3, arbitrary: leafShape },
        {
          weight: 1,
          arbitrary: fc
            .record({ element: shapeOf(depth - 1), length: fc.option(fc.integer({ min: 1, max: 3 })) })
            .map(({ element, length }): TypeShape => ({ kind: "array", element, length })),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({
              types: fc.array(shapeOf(depth - 1), { minLength: 1, maxLength: 4 }),
              // Sometimes one component is unnamed: then the tuple is an array in args too.
              unnamed: fc.option(fc.nat({ max: 3 }), { freq: 4 }),
            })
            .map(({ types, unnamed }): TypeShape => ({
              kind: "tuple",
              components: types.map((type, i) => ({ name: i === unnamed ? "" : `c${i}`, type })),
            })),
        },
      ),
);

function typeString(shape: TypeShape): string {
  switch (shape.kind) {
    case "uint":
    case "int":
      return `${shape.kind}${shape.bits}`;
    case "fixedBytes":
      return `bytes${shape.size}`;
    case "array":
      return `${typeString(shape.element)}[${shape.length ?? ""}]`;
    case "tuple":
      return "tuple";
    default:
      return shape.kind;
  }
}

/** The ABI parameter of a shape; tuples (and arrays of them) carry components. */
function abiParameter(shape: TypeShape, name: string): AbiParameter {
  let base = shape;
  let suffix = "";
  while (base.kind === "array") {
    suffix = `[${base.length ?? ""}]` + suffix;
    base = base.element;
  }
  if (base.kind === "tuple") {
    return {
      name,
      type: `tuple${suffix}`,
      components: base.components.map((c) => abiParameter(c.type, c.name)),
    };
  }
  return { name, type: typeString(shape) };
}

const hexBytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => "0x" + Buffer.from(bytes).toString("hex"));

/** A random value in the decoder's positional representation (which ethers' encoder also accepts). */
function valueOf(shape: TypeShape): fc.Arbitrary<AbiValue> {
  switch (shape.kind) {
    case "address":
      return hexBytes(20, 20);
    case "bool":
      return fc.boolean();
    case "bytes":
      return hexBytes(0, 70);
    case "string":
      return fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }));
    case "fixedBytes":
      return hexBytes(shape.size, shape.size);
    case "uint":
      return fc.oneof(
        fc.bigInt({ min: 0n, max: 2n ** BigInt(shape.bits) - 1n }),
        fc.constantFrom(0n, 2n ** BigInt(shape.bits) - 1n),
      );
    case "int": {
      const half = 2n ** BigInt(shape.bits - 1);
      return fc.oneof(fc.bigInt({ min: -half, max: half - 1n }), fc.constantFrom(-half, half - 1n, -1n, 0n));
    }
    case "array": {
      const element = valueOf(shape.element);
      return shape.length === null
        ? fc.array(element, { maxLength: 3 })
        : fc.array(element, { minLength: shape.length, maxLength: shape.length });
    }
    case "tuple":
      return fc.tuple(...shape.components.map((c) => valueOf(c.type)));
  }
}

/** The named form of a positional value: tuples as objects keyed by component name (arrays if one is unnamed). */
function namedValue(shape: TypeShape, value: AbiValue): AbiValue {
  if (shape.kind === "array") return (value as AbiValue[]).map((v) => namedValue(shape.element, v));
  if (shape.kind !== "tuple") return value;
  const values = (value as AbiValue[]).map((v, i) => namedValue(shape.components[i].type, v));
  if (shape.components.some((c) => c.name === "")) return values;
  return Object.fromEntries(shape.components.map((c, i) => [c.name, values[i]]));
}

type RandomEvent = {
  event: AbiEvent;
  shapes: TypeShape[];
  indexed: boolean[];
  values: AbiValue[];
  /** Topics for indexed reference types: the hash the emitter would log. */
  hashes: string[];
};

const randomEvent: fc.Arbitrary<RandomEvent> = fc
  .array(fc.record({ shape: shapeOf(3), indexed: fc.boolean() }), { maxLength: 6 })
  .chain((params) => {
    // At most three indexed parameters (four topics with topic0).
    let indexedCount = 0;
    const indexed = params.map((p) => p.indexed && ++indexedCount <= 3);
    const shapes = params.map((p) => p.shape);
    return fc
      .record({
        values: fc.tuple(...shapes.map(valueOf)),
        hashes: fc.array(hexBytes(32, 32), { minLength: shapes.length, maxLength: shapes.length }),
        name: fc.constantFrom("Happened", "E", "Log_1"),
      })
      .map(({ values, hashes, name }) => ({
        event: {
          type: "event",
          name,
          anonymous: false,
          inputs: shapes.map((shape, i) => ({ ...abiParameter(shape, `p${i}`), indexed: indexed[i] })),
        },
        shapes,
        indexed,
        values: values,
        hashes,
      }));
  });

function isReference(shape: TypeShape): boolean {
  return shape.kind === "array" || shape.kind === "tuple" || shape.kind === "string" || shape.kind === "bytes";
}

/** The topic an indexed parameter is logged as: its word, or for reference types the hash of its encoding. */
function topicOf(shape: TypeShape, value: AbiValue, hash: string, param: AbiParameter): string {
  if (shape.kind === "string") return keccakUtf8(value as string);
  if (shape.kind === "bytes") return keccak256(value as string);
  // The decoder does not recompute hashes of arrays and tuples (it cannot, from a hash): any 32 bytes do.
  if (isReference(shape)) return hash;
  return coder.encode([param as never], [value]);
}

/** Encodes a random event with ethers' AbiCoder: topics (topic0 from ethers' own signature) and data. */
function encodeLog(random: RandomEvent): LogLike & { expectedValues: AbiValue[] } {
  const fragment = new Interface([random.event]).getEvent(random.event.name)!;
  const topics = [fragment.topicHash];
  const dataTypes: AbiParameter[] = [];
  const dataValues: AbiValue[] = [];
  const expectedValues = random.values.map((value, i) => {
    // ethers' AbiCoder refuses parameters that say whether they are indexed.
    const { indexed: _, ...param } = random.event.inputs[i];
    if (!random.indexed[i]) {
      dataTypes.push(param);
      dataValues.push(value);
      return value;
    }
    const topic = topicOf(random.shapes[i], value, random.hashes[i], param);
    topics.push(topic);
    return isReference(random.shapes[i]) ? topic : value;
  });
  return { topics, data: coder.encode(dataTypes as never[], dataValues), expectedValues };
}

/*//////////////////////////////////////////////////////////////
                               TESTS
//////////////////////////////////////////////////////////////*/

describe("abi: event decoder", function () {
  it("decodes random events of every ABI type as ethers' AbiCoder encoded them (args and values)", function () {
    fc.assert(
      fc.property(randomEvent, (random) => {
        const { expectedValues, ...log } = encodeLog(random);
        const decoder = createEventDecoder([random.event]);
        const decoded = decoder.decodeOrThrow(log);
        expect(decoded.eventName).to.equal(random.event.name);
        expect(decoded.topic0).to.equal(log.topics[0]);
        expect(keccakUtf8(decoded.signature)).to.equal(log.topics[0]);
        expect(decoded.values).to.deep.equal(expectedValues);
        const expectedArgs = Object.fromEntries(
          random.shapes.map((shape, i) => [
            `p${i}`,
            random.indexed[i] && isReference(shape) ? expectedValues[i] : namedValue(shape, expectedValues[i]),
          ]),
        );
        expect(decoded.args).to.deep.equal(expectedArgs);
        // Any case of hex in, the same values out.
        expect(
          decoder.decode({
            topics: log.topics.map((t) => t.toUpperCase().replace("0X", "0x")),
            data: log.data.toUpperCase().replace("0X", "0x"),
          }),
        ).to.deep.equal(decoded);
      }),
      { numRuns: 400 },
    );
  });

  it("turns any corruption of a log into a decoded event or an AbiDecodeError, nothing else", function () {
    fc.assert(
      fc.property(
        randomEvent,
        fc.array(fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (random, edits, cut) => {
          const { expectedValues: _, ...log } = encodeLog(random);
          const bytes = Buffer.from(log.data.slice(2), "hex");
          for (const edit of edits) if (bytes.length > 0) bytes[edit.at % bytes.length] = edit.byte;
          const data = "0x" + bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1)).toString("hex");
          try {
            createEventDecoder([random.event]).decode({ topics: log.topics, data });
          } catch (error) {
            expect(error).to.be.instanceOf(AbiDecodeError);
            expect((error as AbiDecodeError).eventName).to.equal(random.event.name);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  const abi = [
    {
      type: "event",
      name: "Mixed",
      anonymous: false,
      inputs: [
        { name: "who", type: "address", indexed: true },
        { name: "tag", type: "string", indexed: true },
        { name: "amount", type: "uint64", indexed: false },
        { name: "note", type: "string", indexed: false },
        { name: "list", type: "address[]", indexed: false },
        {
          name: "pair",
          type: "tuple",
          indexed: false,
          components: [
            { name: "flag", type: "bool" },
            { name: "small", type: "int8" },
            { name: "blob", type: "bytes" },
          ],
        },
      ],
    },
    { type: "event", name: "Hidden", anonymous: true, inputs: [{ name: "x", type: "uint256", indexed: false }] },
    { type: "function", name: "f", inputs: [], outputs: [], stateMutability: "view" },
  ] as const;
  const decoder = createEventDecoder(abi);
  const who = "0x" + "ab".repeat(20);
  const list = ["0x" + "01".repeat(20), "0x" + "02".repeat(20)];
  const mixedData = coder.encode(
    ["uint64", "string", "address[]", "tuple(bool,int8,bytes)"],
    [7n, "hé", list, [true, -3n, "0xbeef"]],
  );
  const mixedTopic = keccakUtf8("Mixed(address,string,uint64,string,address[],(bool,int8,bytes))");
  const mixed: LogLike = {
    topics: [mixedTopic, coder.encode(["address"], [who]), keccakUtf8("tag")],
    data: mixedData,
  };
  /** The data's 32-byte words, to corrupt one. */
  const words = (data: string) => data.slice(2).match(/.{64}/g)!;
  const withWord = (index: number, word: string) => {
    const w = words(mixedData);
    w[index] = word;
    return { topics: mixed.topics, data: "0x" + w.join("") };
  };
  const failure = (log: LogLike) => {
    try {
      decoder.decode(log);
    } catch (error) {
      expect(error).to.be.instanceOf(AbiDecodeError);
      return error as AbiDecodeError;
    }
    expect.fail("expected an AbiDecodeError");
  };

  it("decodes indexed parameters from topics (a dynamic one as its hash), typed by the ABI", function () {
    const decoded = decoder.decodeOrThrow(mixed);
    expect(decoded.eventName).to.equal("Mixed");
    expect(decoded.signature).to.equal("Mixed(address,string,uint64,string,address[],(bool,int8,bytes))");
    expect(decoded.args).to.deep.equal({
      who,
      tag: keccakUtf8("tag"),
      amount: 7n,
      note: "hé",
      list,
      pair: { flag: true, small: -3n, blob: "0xbeef" },
    });
    expect(decoded.values).to.deep.equal([who, keccakUtf8("tag"), 7n, "hé", list, [true, -3n, "0xbeef"]]);
    // The types follow the ABI: tuples are objects in args and arrays in values.
    const small: bigint = decoded.args.pair.small;
    const flag: boolean = decoded.values[5][0];
    const tag: `0x${string}` = decoded.args.tag;
    expect([small, flag, tag]).to.deep.equal([-3n, true, keccakUtf8("tag")]);
  });

  it("leaves anonymous events and unknown topics out: null, or an AbiDecodeError from decodeOrThrow", function () {
    expect([...decoder.topics.keys()]).to.deep.equal([mixedTopic]);
    expect(decoder.topics.get(mixedTopic as `0x${string}`)?.name).to.equal("Mixed");
    const unknown = { topics: [keccakUtf8("Other()")], data: "0x" };
    expect(decoder.decode(unknown)).to.equal(null);
    expect(decoder.decode({ topics: [], data: "0x" })).to.equal(null);
    expect(() => decoder.decodeOrThrow(unknown)).to.throw(AbiDecodeError, /no event of the ABI/);
  });

  it("names the event and the parameter of malformed data", function () {
    const cases: [LogLike, string | undefined, RegExp][] = [
      // Offsets and lengths that leave the data.
      [withWord(1, (10_000).toString(16).padStart(64, "0")), "note", /past the data/],
      [{ topics: mixed.topics, data: mixedData.slice(0, 2 + 64 * 3) }, "note", /overrun|needs bytes|past the data/],
      [withWord(2, "f".repeat(64)), "list", /offset out of range/],
      // Non-canonical values inside an array and a tuple.
      [withWord(7, "ff" + words(mixedData)[7].slice(2)), "list[0]", /address with non-zero high bytes/],
      [withWord(9, "0".repeat(63) + "2"), "pair.flag", /bool/],
      [withWord(10, "0".repeat(62) + "80"), "pair.small", /int8 out of range/],
      [withWord(0, "1" + "0".repeat(63)), "amount", /uint64 out of range/],
      // A forged array length cannot make the decoder allocate it.
      [withWord(6, "0".repeat(52) + "ffffffffffff"), "list", /elements overrun/],
      [{ topics: mixed.topics, data: "0x1234zz" }, undefined, /not 0x-prefixed hex/],
      [{ topics: mixed.topics.slice(0, 2), data: mixedData }, undefined, /2 topics, the event has 3/],
      [{ topics: [mixedTopic, "0x" + "11".repeat(32), mixed.topics[2]], data: mixedData }, "who", /topic 1/],
    ];
    for (const [log, param, reason] of cases) {
      const error = failure(log);
      expect(error.eventName, error.message).to.equal("Mixed");
      expect(error.param, error.message).to.equal(param);
      expect(error.reason, error.message).to.match(reason);
      expect(error.message).to.contain("Mixed(address,string");
    }
  });

  it("decodes the function type as its 24 bytes (address and selector)", function () {
    const fn = "0x" + "12".repeat(20) + "abcdef01";
    const withFunction = createEventDecoder([
      { type: "event", name: "Callback", anonymous: false, inputs: [{ name: "fn", type: "function", indexed: false }] },
    ] as const);
    const decoded = withFunction.decodeOrThrow({
      topics: [keccakUtf8("Callback(function)")],
      data: coder.encode(["bytes24"], [fn]),
    });
    const value: `0x${string}` = decoded.args.fn;
    expect(value).to.equal(fn);
  });

  it("gives the canonical signatures of the Accord events (tuples spelled out)", function () {
    const created = dealMarketAbi.find((item) => item.type === "event" && item.name === "DealCreated") as AbiEvent;
    expect(eventSignature(created)).to.equal(
      "DealCreated(bytes32,address,address,bytes32,address,address[],(uint256,uint256,uint256,uint256)," +
        "(uint64,uint64,uint64,uint64,uint256,uint256,uint256,uint256))",
    );
  });

  describe("real logs of the Accord contracts (Hardhat network)", function () {
    let logs: Log[] = [];
    let interfaces: Map<string, Interface>;
    let decoders: Map<string, EventDecoder>;

    before(async function () {
      const deployed = await deployAccord(hre);
      const [funder, ...others] = await hre.ethers.getSigners();
      const activity = new MarketActivity(
        deployed.market,
        deployed.token,
        {
          funder,
          jobCreators: others.slice(0, 2),
          resourceProviders: others.slice(2, 4),
          solver: others[4],
          mediators: others.slice(5, 7),
        },
        hre.network.provider,
        deployed.registry,
      );
      await activity.setup();
      for (const path of DEAL_PATHS) await activity.runDeal(path);
      const addresses = {
        market: await deployed.market.getAddress(),
        registry: await deployed.registry.getAddress(),
        token: await deployed.token.getAddress(),
      };
      interfaces = new Map([
        [addresses.market.toLowerCase(), new Interface(dealMarketAbi)],
        [addresses.registry.toLowerCase(), new Interface(serviceRegistryAbi)],
        [addresses.token.toLowerCase(), new Interface(accordTokenAbi)],
      ]);
      decoders = new Map([
        [addresses.market.toLowerCase(), createEventDecoder(dealMarketAbi as readonly unknown[])],
        [addresses.registry.toLowerCase(), createEventDecoder(serviceRegistryAbi as readonly unknown[])],
        [addresses.token.toLowerCase(), createEventDecoder(accordTokenAbi as readonly unknown[])],
      ]);
      logs = await hre.ethers.provider.getLogs({ address: Object.values(addresses), fromBlock: 0, toBlock: "latest" });
    });

    it("decodes every log to the values ethers' Interface decodes", function () {
      const names = new Set<string>();
      for (const log of logs) {
        const address = log.address.toLowerCase();
        const ours = decoders.get(address)!.decodeOrThrow(log);
        const theirs = interfaces.get(address)!.parseLog(log)!;
        expect(ours.eventName).to.equal(theirs.name);
        expect(ours.values, theirs.signature).to.deep.equal(plain(theirs.args));
        names.add(ours.eventName);
      }
      // Every event the market and the registry emit on the demo's paths, and the token's.
      expect([...names].sort()).to.include.members([
        "Approval",
        "DealCreated",
        "DealStateChange",
        "MediationRequested",
        "PartyAgreed",
        "Payment",
        "ResultAdded",
        "ServiceRegistered",
        "ServiceRoleAdded",
        "Transfer",
      ]);
    });

    it("types a DealCreated of the market's decoder as the ABI has it (AccordEvent)", function () {
      const events: AccordEvent[] = logs.flatMap((log) => {
        const decoded = dealMarketDecoder.decode(log);
        return decoded ? [decoded] : [];
      });
      const created = events.find((e): e is AccordEventOf<"DealCreated"> => e.eventName === "DealCreated")!;
      const fee: bigint = created.args.pricing.mediationFee;
      const mediators: `0x${string}`[] = created.args.mediators;
      expect(fee).to.be.a("bigint");
      expect(mediators).to.have.length(2);
      expect(created.args.timeouts.agree).to.equal(created.values[7][0]);
      expect(mediators.every((m) => /^0x[0-9a-f]{40}$/.test(m))).to.equal(true);
    });
  });
});
