import { expect } from "chai";
import { ethers } from "hardhat";
import { TypedDataEncoder, ZeroAddress, ZeroHash } from "ethers";

import type { CapacityPools } from "../../typechain-types";
import { AccordValidationError } from "../../src/model";
import { MAX_GRACE_SECONDS, MAX_NODES_PER_POOL } from "../../src/pools/model";
import {
  CAPACITY_POOLS_EIP712_NAME,
  CAPACITY_POOLS_EIP712_VERSION,
  NEW_POOL,
  RESERVATION_TYPES,
  capacityPoolsDomain,
  parseReservationData,
  reservationCost,
  reservationDigest,
  type ReservationData,
  type ReservationInput,
} from "../../src/pools/reservation";

const CUSTOMER = "0x1111111111111111111111111111111111111111";
const SPONSOR = "0x2222222222222222222222222222222222222222";
const FARM = `0x${"fa".repeat(32)}`;
const POOL = `0x${"9c".repeat(32)}`;
const node = (k: number) => `0x${k.toString(16).padStart(64, "0")}`;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

const creation: ReservationInput = {
  customer: CUSTOMER,
  farmId: FARM,
  cus: 3_600n,
  sus: 1_800n,
  nodeIds: [node(1), node(2)],
  graceSeconds: 600,
  maxCost: 10_000n,
  nonce: 7,
  deadline: 1_800_000_000,
};
const topUp: ReservationInput = {
  poolId: POOL,
  customer: CUSTOMER,
  farmId: FARM,
  cus: 100,
  maxCost: "500",
  nonce: "8",
  deadline: "1800000000",
};

function validationError(run: () => unknown): AccordValidationError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordValidationError;
  }
  expect.fail("expected an AccordValidationError");
}

/** The field the parse of `input` fails on. */
const failingField = (input: ReservationInput) => validationError(() => parseReservationData(input)).field;

describe("pools/reservation", () => {
  describe("parseReservationData", () => {
    it("normalizes a creation: zero pool ID, addresses checksummed, IDs lower case, integers as bigints", () => {
      const data = parseReservationData({ ...creation, customer: CUSTOMER.toUpperCase().replace("0X", "0x") });
      expect(data).to.deep.equal({
        poolId: NEW_POOL,
        customer: ethers.getAddress(CUSTOMER),
        sponsor: ZeroAddress,
        farmId: FARM,
        cus: 3_600n,
        sus: 1_800n,
        ipv4us: 0n,
        nodeIds: [node(1), node(2)],
        graceSeconds: 600n,
        maxCost: 10_000n,
        nonce: 7n,
        deadline: 1_800_000_000n,
      });
      expect(NEW_POOL).to.equal(ZeroHash);
    });

    it("parses a top-up with a sponsor; integers from strings and numbers", () => {
      const data = parseReservationData({ ...topUp, poolId: POOL.toUpperCase().replace("0X", "0x"), sponsor: SPONSOR });
      expect(data.poolId).to.equal(POOL);
      expect(data.sponsor).to.equal(ethers.getAddress(SPONSOR));
      expect([data.cus, data.maxCost, data.nonce, data.deadline]).to.deep.equal([100n, 500n, 8n, 1_800_000_000n]);
      expect(data.nodeIds).to.deep.equal([]);
      expect(data.graceSeconds).to.equal(0n);
    });

    it("takes addresses in any hex case, whatever their checksum", () => {
      const mixed = "0xAbCdEf0000000000000000000000000000000001"; // not a valid EIP-55 checksum
      const data = parseReservationData({ ...creation, customer: mixed, sponsor: mixed });
      expect(data.customer).to.equal(ethers.getAddress(mixed.toLowerCase()));
      expect(data.sponsor).to.equal(data.customer);
    });

    it("takes a null or zero sponsor as none", () => {
      expect(parseReservationData({ ...creation, sponsor: null }).sponsor).to.equal(ZeroAddress);
      expect(parseReservationData({ ...creation, sponsor: ZeroAddress }).sponsor).to.equal(ZeroAddress);
    });

    it("takes the largest values the contract's types hold", () => {
      const data = parseReservationData({
        ...creation,
        cus: UINT64_MAX,
        sus: UINT64_MAX.toString(),
        ipv4us: UINT64_MAX,
        graceSeconds: MAX_GRACE_SECONDS,
        maxCost: UINT256_MAX,
        nonce: UINT256_MAX,
        deadline: UINT256_MAX,
        nodeIds: Array.from({ length: MAX_NODES_PER_POOL }, (_, k) => node(k + 1)),
      });
      expect(data.nodeIds).to.have.length(MAX_NODES_PER_POOL);
      expect(data.graceSeconds).to.equal(30n * 86_400n);
    });

    describe("errors name the field", () => {
      it("a bad bytes32: pool, farm and node IDs", () => {
        for (const bad of ["0x1234", `0x${"zz".repeat(32)}`, "9c".repeat(32), `0x${"9c".repeat(33)}`, ""]) {
          expect(failingField({ ...topUp, poolId: bad }), bad).to.equal("poolId");
          expect(failingField({ ...creation, farmId: bad }), bad).to.equal("farmId");
          expect(failingField({ ...creation, nodeIds: [node(1), bad] }), bad).to.equal("nodeIds[1]");
        }
        const error = validationError(() => parseReservationData({ ...creation, farmId: "0x12" }));
        expect(error.rule).to.contain("32 bytes");
        expect(error.subject).to.equal("reservation");
      });

      it("a bad address: customer and sponsor", () => {
        for (const bad of ["0x123", "1111111111111111111111111111111111111111", `0x${"g".repeat(40)}`, ""]) {
          expect(failingField({ ...creation, customer: bad }), bad).to.equal("customer");
          expect(failingField({ ...creation, sponsor: bad }), bad).to.equal("sponsor");
        }
        const zero = validationError(() => parseReservationData({ ...creation, customer: ZeroAddress }));
        expect([zero.field, zero.rule]).to.deep.equal(["customer", "must not be the zero address"]);
      });

      it("a negative, fractional or non-numeric integer", () => {
        const fields = ["cus", "sus", "ipv4us", "graceSeconds", "maxCost", "nonce", "deadline"] as const;
        for (const field of fields) {
          for (const bad of [-1n, -1, "-1", 1.5, "1.5", "ten", "0x10", Number.MAX_SAFE_INTEGER + 1]) {
            expect(failingField({ ...creation, [field]: bad }), `${field} = ${bad}`).to.equal(field);
          }
        }
      });

      it("an integer too large for its type", () => {
        expect(failingField({ ...creation, cus: UINT64_MAX + 1n })).to.equal("cus");
        expect(failingField({ ...creation, sus: (UINT64_MAX + 1n).toString() })).to.equal("sus");
        expect(failingField({ ...creation, ipv4us: UINT64_MAX + 1n })).to.equal("ipv4us");
        expect(failingField({ ...creation, graceSeconds: 2n ** 32n })).to.equal("graceSeconds");
        expect(failingField({ ...creation, maxCost: UINT256_MAX + 1n })).to.equal("maxCost");
        expect(failingField({ ...creation, nonce: UINT256_MAX + 1n })).to.equal("nonce");
        expect(failingField({ ...creation, deadline: UINT256_MAX + 1n })).to.equal("deadline");
        const error = validationError(() => parseReservationData({ ...creation, cus: UINT64_MAX + 1n }));
        expect(error.rule).to.contain(String(UINT64_MAX));
      });

      it("a zero node", () => {
        const error = validationError(() => parseReservationData({ ...creation, nodeIds: [node(1), ZeroHash] }));
        expect([error.field, error.rule]).to.deep.equal(["nodeIds[1]", "must not be zero"]);
      });

      it("a node listed twice, in any case", () => {
        const upper = node(0xab).toUpperCase().replace("0X", "0x");
        const error = validationError(() =>
          parseReservationData({ ...creation, nodeIds: [node(0xab), node(2), upper] }),
        );
        expect([error.field, error.rule]).to.deep.equal(["nodeIds[2]", "is listed twice"]);
      });

      it(`more than ${MAX_NODES_PER_POOL} nodes`, () => {
        const nodeIds = Array.from({ length: MAX_NODES_PER_POOL + 1 }, (_, k) => node(k + 1));
        const error = validationError(() => parseReservationData({ ...creation, nodeIds }));
        expect(error.field).to.equal("nodeIds");
        expect(error.rule).to.contain(String(MAX_NODES_PER_POOL));
        // On a top-up too.
        expect(failingField({ ...topUp, nodeIds })).to.equal("nodeIds");
      });

      it("no nodes on creation", () => {
        expect(failingField({ ...creation, nodeIds: [] })).to.equal("nodeIds");
        expect(failingField({ ...creation, nodeIds: undefined })).to.equal("nodeIds");
      });

      it("nodes that are not a list", () => {
        expect(failingField({ ...creation, nodeIds: node(1) as unknown as string[] })).to.equal("nodeIds");
      });

      it("a grace period on a top-up", () => {
        const error = validationError(() => parseReservationData({ ...topUp, graceSeconds: 1 }));
        expect(error.field).to.equal("graceSeconds");
        expect(error.rule).to.contain("top-up");
      });

      it("a grace period over 30 days", () => {
        expect(parseReservationData({ ...creation, graceSeconds: MAX_GRACE_SECONDS }).graceSeconds).to.equal(
          2_592_000n,
        );
        const error = validationError(() =>
          parseReservationData({ ...creation, graceSeconds: MAX_GRACE_SECONDS + 1n }),
        );
        expect(error.field).to.equal("graceSeconds");
        expect(error.rule).to.contain("30 days");
      });

      it("a top-up that changes nothing (the reservation as a whole)", () => {
        const error = validationError(() => parseReservationData({ ...topUp, cus: 0, sus: "0", ipv4us: 0n }));
        expect(error.field).to.equal("");
        expect(error.rule).to.contain("changes nothing");
        // Buying one resource, or adding a node, is a change.
        expect(parseReservationData({ ...topUp, cus: 0, ipv4us: 1 }).ipv4us).to.equal(1n);
        expect(parseReservationData({ ...topUp, cus: 0, nodeIds: [node(3)] }).nodeIds).to.deep.equal([node(3)]);
      });
    });
  });

  describe("reservationCost", () => {
    it("prices each resource's unit-seconds at the farm's price", () => {
      const data = parseReservationData({ ...creation, ipv4us: 10 });
      expect(reservationCost(data, { cu: 2n, su: 3n, ipv4u: 5n })).to.equal(3_600n * 2n + 1_800n * 3n + 10n * 5n);
      expect(reservationCost(data, { cu: 0n, su: 0n, ipv4u: 0n })).to.equal(0n);
    });
  });

  describe("reservationDigest", () => {
    let pools: CapacityPools;
    let chainId: bigint;

    before(async () => {
      const [deployer] = await ethers.getSigners();
      const token = await ethers.deployContract("AccordToken", [deployer.address, 0n]);
      pools = await ethers.deployContract("CapacityPools", [await token.getAddress()]);
      chainId = (await ethers.provider.getNetwork()).chainId;
    });

    const samples: Array<[string, ReservationData]> = [
      ["a creation", parseReservationData(creation)],
      ["a sponsored top-up without nodes", parseReservationData({ ...topUp, sponsor: SPONSOR })],
      ["a top-up adding nodes", parseReservationData({ ...topUp, cus: 0, nodeIds: [node(5), node(6), node(7)] })],
      [
        "the largest values",
        parseReservationData({
          ...creation,
          sponsor: SPONSOR,
          cus: UINT64_MAX,
          sus: UINT64_MAX,
          ipv4us: UINT64_MAX,
          graceSeconds: MAX_GRACE_SECONDS,
          maxCost: UINT256_MAX,
          nonce: UINT256_MAX,
          deadline: UINT256_MAX,
          nodeIds: Array.from({ length: MAX_NODES_PER_POOL }, (_, k) => ethers.id(`node-${k}`)),
        }),
      ],
    ];

    for (const [name, data] of samples) {
      it(`equals the contract's for ${name}`, async () => {
        const domain = capacityPoolsDomain(chainId, await pools.getAddress());
        const digest = reservationDigest(data, domain);
        expect(await pools.reservationDigest(data)).to.equal(digest);
      });
    }

    it("is the EIP-712 digest of the Reservation type under the contract's domain", async () => {
      const address = await pools.getAddress();
      const domain = capacityPoolsDomain(chainId, address);
      expect(domain).to.deep.equal({
        name: CAPACITY_POOLS_EIP712_NAME,
        version: CAPACITY_POOLS_EIP712_VERSION,
        chainId,
        verifyingContract: address,
      });
      const eip712 = await pools.eip712Domain();
      expect([eip712.name, eip712.version, eip712.chainId, eip712.verifyingContract]).to.deep.equal([
        CAPACITY_POOLS_EIP712_NAME,
        CAPACITY_POOLS_EIP712_VERSION,
        chainId,
        address,
      ]);
      expect(TypedDataEncoder.from(RESERVATION_TYPES).encodeType("Reservation")).to.equal(
        "Reservation(bytes32 poolId,address customer,address sponsor,bytes32 farmId,uint64 cus,uint64 sus," +
          "uint64 ipv4us,bytes32[] nodeIds,uint32 graceSeconds,uint256 maxCost,uint256 nonce,uint256 deadline)",
      );
    });

    it("changes with every field, and with the chain and the contract", async () => {
      const address = await pools.getAddress();
      const data = parseReservationData({ ...creation, sponsor: SPONSOR, ipv4us: 1 });
      const base = reservationDigest(data, capacityPoolsDomain(chainId, address));
      const variants: ReservationData[] = [
        { ...data, poolId: POOL },
        { ...data, customer: SPONSOR },
        { ...data, sponsor: ZeroAddress },
        { ...data, farmId: POOL },
        { ...data, cus: data.cus + 1n },
        { ...data, sus: data.sus + 1n },
        { ...data, ipv4us: data.ipv4us + 1n },
        { ...data, nodeIds: [...data.nodeIds].reverse() },
        { ...data, nodeIds: data.nodeIds.slice(1) },
        { ...data, graceSeconds: data.graceSeconds + 1n },
        { ...data, maxCost: data.maxCost + 1n },
        { ...data, nonce: data.nonce + 1n },
        { ...data, deadline: data.deadline + 1n },
      ];
      const digests = new Set([base]);
      for (const v of variants) {
        const digest = reservationDigest(v, capacityPoolsDomain(chainId, address));
        expect(await pools.reservationDigest(v)).to.equal(digest);
        digests.add(digest);
      }
      digests.add(reservationDigest(data, capacityPoolsDomain(chainId + 1n, address)));
      digests.add(reservationDigest(data, capacityPoolsDomain(chainId, SPONSOR)));
      expect(digests.size).to.equal(variants.length + 3);
    });

    it("goes with a cost equal to the contract's reservationCost at the farm's prices", async () => {
      const [provider] = await ethers.getSigners();
      const prices = { cu: 3n, su: 7n, ipv4u: 11n };
      const salt = ethers.id("reservation-test-farm");
      await pools.connect(provider).createFarm(salt, prices);
      const farmId = await pools.farmIdOf(provider.address, salt);
      for (const [, sample] of samples) {
        const data = { ...sample, farmId, cus: sample.cus % 10_000n, sus: sample.sus % 10_000n, ipv4us: 13n };
        expect(await pools.reservationCost(data)).to.equal(reservationCost(data, prices));
      }
    });

    it("is what the customer signs: the signature recovers to the signer", async () => {
      const [signer] = await ethers.getSigners();
      const data = parseReservationData({ ...creation, customer: signer.address });
      const domain = capacityPoolsDomain(chainId, await pools.getAddress());
      const signature = await signer.signTypedData(domain, RESERVATION_TYPES, data);
      expect(ethers.recoverAddress(reservationDigest(data, domain), signature)).to.equal(signer.address);
    });
  });
});
