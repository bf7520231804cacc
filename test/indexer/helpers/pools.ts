// Driving CapacityPools from tests: farms, EIP-712 reservations signed with src/pools/reservation.ts (the customer's
// and, with a sponsor, the sponsor's signature; a signer that submits passes none), workloads.

import { MaxUint256, type Signer, type TransactionReceipt } from "ethers";
import {
  NEW_POOL,
  RESERVATION_TYPES,
  capacityPoolsDomain,
  parseReservationData,
  reservationCost,
  reservationDigest,
  type ReservationData,
  type ReservationInput,
} from "../../../src/pools/reservation";
import { ethers, type Accord } from "./chain";

export const RESERVATION_DEADLINE = 2n ** 40n;

export type Prices = { cu: bigint; su: bigint; ipv4u: bigint };
export type Rates = { cu: bigint; su: bigint; ipv4u: bigint };

type Sent = Promise<{ wait(): Promise<TransactionReceipt | null> }>;

/** Drives one Accord deployment's CapacityPools, keeping the receipts and each customer's next nonce. */
export class PoolDriver {
  readonly receipts: TransactionReceipt[] = [];
  private readonly nonces = new Map<string, bigint>();

  constructor(readonly accord: Accord) {}

  get pools() {
    return this.accord.pools;
  }

  async send(tx: Sent): Promise<TransactionReceipt> {
    const receipt = (await (await tx).wait())!;
    this.receipts.push(receipt);
    return receipt;
  }

  /** Lets each signer's reservations be paid from its balance. */
  async approve(signers: Signer[]): Promise<void> {
    const spender = await this.pools.getAddress();
    for (const s of signers) await (await this.accord.token.connect(s).approve(spender, MaxUint256)).wait();
  }

  async createFarm(provider: Signer, salt: string, prices: Prices): Promise<string> {
    const saltBytes = ethers.id(salt);
    const farmId = await this.pools.farmIdOf(await provider.getAddress(), saltBytes);
    await this.send(this.pools.connect(provider).createFarm(saltBytes, prices));
    return farmId.toLowerCase();
  }

  async declareNodes(provider: Signer, farmId: string, nodeIds: string[]): Promise<void> {
    await this.send(this.pools.connect(provider).declareNodes(farmId, nodeIds));
  }

  /** The next unused nonce of `customer` (skipping those given out). */
  nextNonce(customer: string): bigint {
    const key = customer.toLowerCase();
    const nonce = this.nonces.get(key) ?? 1n;
    this.nonces.set(key, nonce + 1n);
    return nonce;
  }

  /**
   * Signs and submits a reservation at the farm's current prices (maxCost: exactly the cost). The customer signs,
   * and the sponsor too when there is one; `submitter` (default the customer) sends it, without a signature of its
   * own. Returns the pool it created or topped up.
   */
  async reserve(options: {
    customer: Signer;
    sponsor?: Signer;
    submitter?: Signer;
    input: Omit<ReservationInput, "customer" | "sponsor" | "maxCost" | "nonce" | "deadline">;
  }): Promise<{ poolId: string; data: ReservationData; cost: bigint; receipt: TransactionReceipt }> {
    const { customer, sponsor } = options;
    const submitter = options.submitter ?? customer;
    const customerAddress = await customer.getAddress();
    const farm = await this.pools.getFarm(options.input.farmId);
    const prices = { cu: farm.prices.cu, su: farm.prices.su, ipv4u: farm.prices.ipv4u };
    const draft = parseReservationData({
      ...options.input,
      customer: customerAddress,
      sponsor: sponsor ? await sponsor.getAddress() : null,
      maxCost: 0n,
      nonce: this.nextNonce(customerAddress),
      deadline: RESERVATION_DEADLINE,
    });
    const cost = reservationCost(draft, prices);
    const data: ReservationData = { ...draft, maxCost: cost };
    const { chainId } = await ethers.provider.getNetwork();
    const domain = capacityPoolsDomain(chainId, await this.pools.getAddress());
    const submitterAddress = (await submitter.getAddress()).toLowerCase();
    const sign = async (signer: Signer | undefined): Promise<string> => {
      if (!signer || (await signer.getAddress()).toLowerCase() === submitterAddress) return "0x";
      return signer.signTypedData(domain, RESERVATION_TYPES, data);
    };
    const receipt = await this.send(
      this.pools.connect(submitter).reserve(data, await sign(customer), await sign(sponsor)),
    );
    const poolId = data.poolId === NEW_POOL ? reservationDigest(data, domain).toLowerCase() : data.poolId;
    return { poolId, data, cost, receipt };
  }

  async assign(owner: Signer, workloadId: string, poolId: string, nodeId: string, rates: Rates): Promise<void> {
    await this.send(this.pools.connect(owner).assignWorkload(workloadId, poolId, nodeId, rates));
  }

  async start(provider: Signer, workloadId: string): Promise<void> {
    await this.send(this.pools.connect(provider).startWorkload(workloadId));
  }

  async remove(by: Signer, workloadId: string): Promise<void> {
    await this.send(this.pools.connect(by).removeWorkload(workloadId));
  }

  async sync(by: Signer, poolId: string): Promise<void> {
    await this.send(this.pools.connect(by).syncPool(poolId));
  }
}

/** A bytes32 ID from a label (node and workload IDs). */
export const id32 = (label: string): string => ethers.id(label).toLowerCase();
