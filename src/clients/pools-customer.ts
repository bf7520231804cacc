// The capacity pools' customer (and sponsor): builds and checks reservations, prices them at the farm's current
// prices, signs them (as the customer, or co-signs as the sponsor who pays), submits them (creating a pool or topping
// one up), assigns workloads to the pool's nodes, withdraws what was not consumed and cancels nonces.

import { randomBytes } from "node:crypto";
import { getAddress, ZeroAddress } from "ethers";
import { sameAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";
import {
  computeUnits,
  NEW_POOL,
  parseReservationData,
  RESERVATION_TYPES,
  reservationCost,
  type Reservation,
  type ReservationData,
  type ReservationInput,
  type WorkloadKind,
  type WorkloadRates,
  type WorkloadResources,
} from "../pools";
import { AccordClientError, type AllowanceMode } from "./base";
import { decodeContractError } from "./errors";
import type { AccordTxResult } from "./events";
import {
  addressInput,
  bytes32Input,
  CapacityPoolsClient,
  parseRates,
  uintInput,
  type Prices,
  type RatesInput,
} from "./pools";

/** A reservation to build: what `parseReservationData` takes, with the defaults below filled in. */
export type ReservationDraft = Omit<ReservationInput, "customer" | "farmId" | "maxCost" | "nonce" | "deadline"> & {
  /** Default: the signer. */
  customer?: string;
  /** Required on creation; on a top-up, the pool's farm (read from the chain when absent). */
  farmId?: string;
  /** Default: the cost at the farm's current prices, plus `slippageBps`. */
  maxCost?: bigint | number | string;
  /** Default: a random 128-bit number. */
  nonce?: bigint | number | string;
  /** Unix seconds; default the latest block's timestamp + signatureValidity (3600 s). */
  deadline?: bigint | number | string;
};

export type BuildReservationOptions = {
  /**
   * With the default maxCost: how much above the current cost the signer accepts to pay, in basis points (prices are
   * read when the reservation is submitted, and the farm may change them). Default 0.
   */
  slippageBps?: bigint | number | string;
};

/** A checked reservation with its digest (the ID of a pool it creates) and its cost at the prices it was built at. */
export type PreparedReservation = {
  data: ReservationData;
  digest: string;
  cost: bigint;
  prices: Prices;
};

export type ReserveOptions = {
  /** How the payer's allowance is ensured when the payer is the signer; default the client's mode ("exact"). */
  allowance?: AllowanceMode;
};

/** reserve's transaction, with the pool it created or topped up and what it cost. */
export type ReserveTxResult = AccordTxResult & {
  poolId: string;
  created: boolean;
  cost: bigint;
  payer: string;
};

/** A workload to assign: its rates, or the resources `computeUnits` turns into rates. */
export type AssignWorkloadInput = {
  /** 32 bytes, not zero (`workloadIdOf(name)` makes one from a name). */
  workloadId: string;
  poolId: string;
  nodeId: string;
} & ({ rates: RatesInput } | { resources: WorkloadResources; kind?: WorkloadKind });

/** assignWorkload's transaction, with the rates assigned. */
export type AssignWorkloadTxResult = AccordTxResult & { rates: WorkloadRates };

type ReservationLike = Reservation | PreparedReservation | ReservationData;

function dataOf(reservation: ReservationLike): ReservationData {
  return "data" in reservation ? reservation.data : reservation;
}

function signaturesOf(reservation: ReservationLike): { customerSignature: string; sponsorSignature: string } {
  if ("customerSignature" in reservation) {
    return { customerSignature: reservation.customerSignature, sponsorSignature: reservation.sponsorSignature };
  }
  return { customerSignature: "0x", sponsorSignature: "0x" };
}

/** A random 128-bit nonce: unlikely to collide with any other the customer signs. */
export function randomNonce(): bigint {
  return BigInt(`0x${randomBytes(16).toString("hex")}`);
}

/** Re-checks a reservation's data (it may have been written by hand or received): errors name the field. */
function checkedData(data: ReservationData): ReservationData {
  return parseReservationData({ ...data, sponsor: data.sponsor === ZeroAddress ? null : data.sponsor });
}

export class CapacityPoolsCustomerClient extends CapacityPoolsClient {
  /**
   * Builds and checks a reservation (`parseReservationData`: errors name the field), filling in the customer (the
   * signer), the farm of a pool topped up, a random nonce, a deadline and, from the farm's current prices, the cost
   * and maxCost (cost + slippage). A farm that does not exist is an AccordValidationError on farmId; a maxCost below
   * the current cost one on maxCost.
   */
  async buildReservation(draft: ReservationDraft, options: BuildReservationOptions = {}): Promise<PreparedReservation> {
    const slippageBps = uintInput(options.slippageBps, "slippageBps", 32, "reservation options");
    const customer = draft.customer ?? (await this.getAddress());
    let farmId = draft.farmId;
    if (farmId === undefined && draft.poolId !== undefined && draft.poolId.toLowerCase() !== NEW_POOL) {
      const pool = await this.getStoredPool(bytes32Input(draft.poolId, "poolId", "reservation"));
      if (!pool) throw new AccordValidationError("poolId", "names no pool on chain", { subject: "reservation" });
      farmId = pool.farmId;
    }
    if (farmId === undefined) {
      throw new AccordValidationError("farmId", "is required when the reservation creates a pool", {
        subject: "reservation",
      });
    }
    const deadline = draft.deadline ?? (await this.defaultDeadline());
    // Checked once without the cost, so that a bad field is named before anything is read.
    const checked = parseReservationData({
      ...draft,
      customer,
      farmId,
      maxCost: draft.maxCost ?? 0n,
      nonce: draft.nonce ?? 0n,
      deadline,
    });
    const farm = await this.getFarm(checked.farmId);
    if (!farm.exists) throw new AccordValidationError("farmId", "names no farm on chain", { subject: "reservation" });
    if (checked.graceSeconds > farm.maxGraceSeconds) {
      throw new AccordValidationError("graceSeconds", `is longer than the farm accepts (${farm.maxGraceSeconds} s)`, {
        subject: "reservation",
      });
    }
    const cost = reservationCost(checked, farm.prices);
    const maxCost = draft.maxCost === undefined ? (cost * (10_000n + slippageBps) + 9_999n) / 10_000n : checked.maxCost;
    if (maxCost < cost) {
      throw new AccordValidationError("maxCost", `is below the cost at the farm's current prices (${cost})`, {
        subject: "reservation",
      });
    }
    const data: ReservationData = {
      ...checked,
      maxCost,
      nonce: draft.nonce === undefined ? randomNonce() : checked.nonce,
    };
    return { data, digest: await this.reservationDigest(data), cost, prices: farm.prices };
  }

  /** What the reservation costs at the farm's current prices (what `reserve` would pull now). */
  async quoteReservation(reservation: ReservationLike): Promise<{ cost: bigint; prices: Prices }> {
    const data = checkedData(dataOf(reservation));
    const farm = await this.getFarm(data.farmId);
    if (!farm.exists) throw new AccordValidationError("farmId", "names no farm on chain", { subject: "reservation" });
    return { cost: reservationCost(data, farm.prices), prices: farm.prices };
  }

  /** Signs the reservation as its customer (the signer must be it: AccordClientError NOT_A_PARTY otherwise). */
  async signReservation(reservation: ReservationLike): Promise<Reservation> {
    const data = checkedData(dataOf(reservation));
    const me = await this.getAddress();
    if (!sameAddress(me, data.customer)) {
      throw new AccordClientError("NOT_A_PARTY", `${me} is not the reservation's customer (${data.customer})`);
    }
    const customerSignature = await this.signer.signTypedData(await this.domain(), RESERVATION_TYPES, data);
    return { data, customerSignature, sponsorSignature: signaturesOf(reservation).sponsorSignature };
  }

  /**
   * Co-signs the reservation as its sponsor, who pays for it (the signer must be the sponsor: NOT_A_PARTY
   * otherwise). The customer's signature, if already there, is kept.
   */
  async signAsSponsor(reservation: ReservationLike): Promise<Reservation> {
    const data = checkedData(dataOf(reservation));
    const me = await this.getAddress();
    if (data.sponsor === ZeroAddress) {
      throw new AccordValidationError("sponsor", "is not set: a reservation without a sponsor needs no co-signature", {
        subject: "reservation",
      });
    }
    if (!sameAddress(me, data.sponsor)) {
      throw new AccordClientError("NOT_A_PARTY", `${me} is not the reservation's sponsor (${data.sponsor})`);
    }
    const sponsorSignature = await this.signer.signTypedData(await this.domain(), RESERVATION_TYPES, data);
    return { data, customerSignature: signaturesOf(reservation).customerSignature, sponsorSignature };
  }

  /**
   * Submits a reservation: creates its pool (poolId zero) or tops one up. A signer that is the customer or the
   * sponsor needs no signature of its own; the others' must be there. When the payer (the sponsor, else the
   * customer) is the signer, its allowance for the cost at the current prices is ensured first (`allowance`), unless
   * a dry run shows the contract would refuse the reservation anyway; another payer must have approved
   * CapacityPools. Reverts are AccordContractError (CapacityPools_CostAboveMax, _NonceUsed, …); the result's
   * `approval` is the allowance transaction, if one was sent.
   */
  async reserve(reservation: ReservationLike, options: ReserveOptions = {}): Promise<ReserveTxResult> {
    const data = checkedData(dataOf(reservation));
    const { customerSignature, sponsorSignature } = signaturesOf(reservation);
    const me = await this.getAddress();
    const hasSponsor = data.sponsor !== ZeroAddress;
    if (!sameAddress(me, data.customer) && (!customerSignature || customerSignature === "0x")) {
      throw new AccordValidationError("customerSignature", "is required when the customer does not submit", {
        subject: "reservation",
      });
    }
    if (hasSponsor && !sameAddress(me, data.sponsor) && (!sponsorSignature || sponsorSignature === "0x")) {
      throw new AccordValidationError("sponsorSignature", "is required when the sponsor does not submit", {
        subject: "reservation",
      });
    }
    const payer = hasSponsor ? data.sponsor : data.customer;
    let approval: AccordTxResult | undefined;
    if (sameAddress(me, payer)) approval = await this.#approveFor(data, customerSignature, sponsorSignature, options);
    const result = await this.send("reserve", (overrides) =>
      this.pools.reserve(data, customerSignature || "0x", sponsorSignature || "0x", overrides),
    );
    result.approval = approval;
    const added = result.get("CapacityAdded");
    return Object.assign(result, {
      poolId: added.args.poolId,
      created: result.find("PoolCreated") !== undefined,
      cost: added.args.cost,
      payer: getAddress(added.args.payer),
    });
  }

  /**
   * The payer's allowance for the reservation's cost at the current prices, ensured only when the contract would
   * take the reservation but for the allowance: a dry run first, so that a reservation refused for another reason
   * (a used nonce, a cost above maxCost, a passed deadline) throws its own error and approves nothing.
   */
  async #approveFor(
    data: ReservationData,
    customerSignature: string,
    sponsorSignature: string,
    options: ReserveOptions,
  ): Promise<AccordTxResult | undefined> {
    const mode = options.allowance ?? this.allowanceMode;
    if (mode === "none") return undefined;
    const farm = await this.getFarm(data.farmId);
    const cost = reservationCost(data, farm.prices);
    if (!farm.exists || cost === 0n || (await this.allowance()) >= cost) return undefined;
    try {
      await this.pools.reserve.staticCall(data, customerSignature || "0x", sponsorSignature || "0x");
    } catch (error) {
      const decoded = decodeContractError(error, { action: "reserve" });
      if (!decoded) throw error;
      if (decoded.errorName !== "ERC20InsufficientAllowance") throw decoded;
    }
    return this.ensureAllowance(cost, mode);
  }

  /**
   * Creates a pool the signer owns and pays for: builds the reservation (`buildReservation`, no sponsor) and submits
   * it. A sponsored pool takes three steps: buildReservation, the sponsor's signAsSponsor, reserve.
   */
  async createPool(
    draft: Omit<ReservationDraft, "poolId">,
    options: BuildReservationOptions & ReserveOptions = {},
  ): Promise<ReserveTxResult> {
    if ("poolId" in draft && draft.poolId !== undefined && (draft.poolId as string).toLowerCase() !== NEW_POOL) {
      throw new AccordValidationError("poolId", "must be absent: createPool creates a pool (topUp tops one up)", {
        subject: "reservation",
      });
    }
    return this.#buildAndReserve({ ...draft, poolId: NEW_POOL }, options);
  }

  /** Buys more capacity for a pool (and, as its owner, may add nodes), paid by the signer. */
  async topUp(
    poolId: string,
    draft: Omit<ReservationDraft, "poolId" | "graceSeconds">,
    options: BuildReservationOptions & ReserveOptions = {},
  ): Promise<ReserveTxResult> {
    const id = bytes32Input(poolId, "poolId", "reservation");
    return this.#buildAndReserve({ ...draft, poolId: id }, options);
  }

  async #buildAndReserve(
    draft: ReservationDraft,
    options: BuildReservationOptions & ReserveOptions,
  ): Promise<ReserveTxResult> {
    if (draft.sponsor != null && draft.sponsor !== ZeroAddress) {
      throw new AccordValidationError(
        "sponsor",
        "must be absent here: a sponsored reservation is built, co-signed (signAsSponsor) and then submitted",
        { subject: "reservation" },
      );
    }
    const prepared = await this.buildReservation(draft, options);
    return this.reserve(prepared, options);
  }

  /** Cancels a nonce of the signer's: no reservation signed with it can be submitted any more. */
  async cancelNonce(nonce: bigint | number | string): Promise<AccordTxResult> {
    const value = uintInput(nonce, "nonce", 256, "nonce");
    return this.send("cancelNonce", (overrides) => this.pools.cancelNonce(value, overrides));
  }

  /**
   * Assigns a workload to one of the pool's nodes (the signer must own the pool). The rates are given, or computed
   * from the workload's resources by `computeUnits`. Assigning the same live workload again is a no-op.
   */
  async assignWorkload(input: AssignWorkloadInput): Promise<AssignWorkloadTxResult> {
    const workloadId = bytes32Input(input.workloadId, "workloadId", "workload");
    const poolId = bytes32Input(input.poolId, "poolId", "workload");
    const nodeId = bytes32Input(input.nodeId, "nodeId", "workload");
    const rates =
      "rates" in input
        ? parseRates(input.rates)
        : parseRates(computeUnits(input.resources, { kind: input.kind }), "resources");
    const result = await this.send("assignWorkload", (overrides) =>
      this.pools.assignWorkload(workloadId, poolId, nodeId, rates, overrides),
    );
    return Object.assign(result, { rates });
  }

  /**
   * Withdraws the pool's unconsumed balance to `to` (default: the signer), which must be its beneficiary (the
   * sponsor, else the owner), while no workload runs.
   */
  async withdrawUnconsumed(poolId: string, to?: string): Promise<AccordTxResult> {
    const id = bytes32Input(poolId, "poolId", "pool");
    const recipient = to === undefined ? await this.getAddress() : addressInput(to, "to", "withdrawal");
    return this.send("withdrawUnconsumed", (overrides) => this.pools.withdrawUnconsumed(id, recipient, overrides));
  }
}
