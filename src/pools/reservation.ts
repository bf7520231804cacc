// Capacity reservations: the reference's ReservationData as CapacityPools' EIP-712 `Reservation`, checked before
// anyone signs or submits it (errors name the field), and its digest, which is also the ID of a pool it creates.

import { TypedDataEncoder, ZeroAddress, type TypedDataDomain, type TypedDataField } from "ethers";
import { AccordValidationError } from "../model/errors";
import { addressInput, bytes32Input, uintInput, ZERO_BYTES32 } from "./inputs";
import { MAX_GRACE_SECONDS, MAX_NODES_PER_POOL } from "./model";
/** A pool ID of zero in a reservation creates a pool. */
export const NEW_POOL = `0x${"0".repeat(64)}`;

/** The EIP-712 name and version of CapacityPools' domain. */
export const CAPACITY_POOLS_EIP712_NAME = "Accord CapacityPools";
export const CAPACITY_POOLS_EIP712_VERSION = "1";

/** The `Reservation` type, field for field as contracts/libraries/PoolHashing.sol hashes it. */
export const RESERVATION_TYPES: Record<string, TypedDataField[]> = {
  Reservation: [
    { name: "poolId", type: "bytes32" },
    { name: "customer", type: "address" },
    { name: "sponsor", type: "address" },
    { name: "farmId", type: "bytes32" },
    { name: "cus", type: "uint64" },
    { name: "sus", type: "uint64" },
    { name: "ipv4us", type: "uint64" },
    { name: "nodeIds", type: "bytes32[]" },
    { name: "graceSeconds", type: "uint32" },
    { name: "maxCost", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The reference's ReservationData as Accord signs it: unit-seconds are whole numbers. */
export type ReservationData = {
  /** NEW_POOL (zero) creates a pool; else the pool to top up. */
  poolId: string;
  customer: string;
  /** The zero address: no sponsor. */
  sponsor: string;
  farmId: string;
  cus: bigint;
  sus: bigint;
  ipv4us: bigint;
  nodeIds: string[];
  graceSeconds: bigint;
  maxCost: bigint;
  nonce: bigint;
  deadline: bigint;
};

/** The reference's Reservation: the data and its signatures (the sponsor's empty when there is none). */
export type Reservation = {
  data: ReservationData;
  customerSignature: string;
  sponsorSignature: string;
};

/** What `parseReservationData` accepts: integers as bigint, safe-integer numbers or decimal strings. */
export type ReservationInput = {
  poolId?: string;
  customer: string;
  sponsor?: string | null;
  farmId: string;
  cus?: bigint | number | string;
  sus?: bigint | number | string;
  ipv4us?: bigint | number | string;
  nodeIds?: readonly string[];
  graceSeconds?: bigint | number | string;
  maxCost: bigint | number | string;
  nonce: bigint | number | string;
  deadline: bigint | number | string;
};

export function capacityPoolsDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return {
    name: CAPACITY_POOLS_EIP712_NAME,
    version: CAPACITY_POOLS_EIP712_VERSION,
    chainId,
    verifyingContract,
  };
}

function fail(field: string, rule: string): never {
  throw new AccordValidationError(field, rule, { subject: "reservation" });
}

const SUBJECT = "reservation";
const integer = (value: unknown, field: string, bits: number, unit: string) =>
  uintInput(value, field, bits, SUBJECT, unit);
const bytes32 = (value: unknown, field: string) => bytes32Input(value, field, SUBJECT, { allowZero: true });
const address = (value: unknown, field: string) => addressInput(value, field, SUBJECT);

/**
 * Checks a reservation before it is signed: the shapes and ranges the contract takes, the rules it applies
 * without reading state (nodes on creation, at most MAX_NODES_PER_POOL and no duplicates, grace only on
 * creation and within MAX_GRACE_SECONDS, a top-up that buys or adds something). Throws AccordValidationError
 * naming the field.
 */
export function parseReservationData(input: ReservationInput): ReservationData {
  const poolId = input.poolId === undefined ? NEW_POOL : bytes32(input.poolId, "poolId");
  const creates = poolId === NEW_POOL;
  const customer = address(input.customer, "customer");
  if (customer === ZeroAddress) fail("customer", "must not be the zero address");
  const sponsor = input.sponsor == null ? ZeroAddress : address(input.sponsor, "sponsor");
  const farmId = bytes32(input.farmId, "farmId");
  const cus = integer(input.cus, "cus", 64, "CU·s");
  const sus = integer(input.sus, "sus", 64, "SU·s");
  const ipv4us = integer(input.ipv4us, "ipv4us", 64, "IPv4U·s");
  const listed: unknown = input.nodeIds; // untrusted input may hold anything
  if (listed !== undefined && !Array.isArray(listed)) fail("nodeIds", "must be a list of node IDs");
  const nodeIds = (input.nodeIds ?? []).map((id, i) => bytes32(id, `nodeIds[${i}]`));
  if (nodeIds.length > MAX_NODES_PER_POOL) fail("nodeIds", `may hold at most ${MAX_NODES_PER_POOL} nodes`);
  const seen = new Set<string>();
  nodeIds.forEach((id, i) => {
    if (id === ZERO_BYTES32) fail(`nodeIds[${i}]`, "must not be zero");
    if (seen.has(id)) fail(`nodeIds[${i}]`, "is listed twice");
    seen.add(id);
  });
  const graceSeconds = integer(input.graceSeconds, "graceSeconds", 32, "seconds");
  if (creates) {
    if (nodeIds.length === 0) fail("nodeIds", "must name at least one node when the reservation creates a pool");
    if (graceSeconds > MAX_GRACE_SECONDS) fail("graceSeconds", `must be at most ${MAX_GRACE_SECONDS} (30 days)`);
  } else {
    if (graceSeconds !== 0n) fail("graceSeconds", "must be 0 on a top-up: the grace period is set at creation");
    if (nodeIds.length === 0 && cus === 0n && sus === 0n && ipv4us === 0n) {
      fail("", "must buy capacity or add a node: a top-up that changes nothing is refused");
    }
  }
  return {
    poolId,
    customer,
    sponsor,
    farmId,
    cus,
    sus,
    ipv4us,
    nodeIds,
    graceSeconds,
    maxCost: integer(input.maxCost, "maxCost", 256, "token units"),
    nonce: integer(input.nonce, "nonce", 256, "any unused number"),
    deadline: integer(input.deadline, "deadline", 256, "unix seconds"),
  };
}

/** The EIP-712 digest the customer and the sponsor sign; the ID of the pool the reservation creates. */
export function reservationDigest(data: ReservationData, domain: TypedDataDomain): string {
  return TypedDataEncoder.hash(domain, RESERVATION_TYPES, data);
}

/** The cost of a reservation at a farm's prices (what the contract pulls, capped by maxCost). */
export function reservationCost(
  data: Pick<ReservationData, "cus" | "sus" | "ipv4us">,
  prices: { cu: bigint; su: bigint; ipv4u: bigint },
): bigint {
  return data.cus * prices.cu + data.sus * prices.su + data.ipv4us * prices.ipv4u;
}
