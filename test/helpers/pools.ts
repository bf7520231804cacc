/**
 * Fixtures and helpers for the CapacityPools contract tests (test/contracts/CapacityPools).
 *
 * Typical use:
 *   const ctx = await loadPoolsFixture(deployPoolsFixture);       // token, pools, a farm with 40 nodes, accounts
 *   const { poolId } = await createPool(ctx, { cus: 10_000n });   // customer signs, the stranger submits
 *   const { id } = await assignAndStart(ctx, poolId, RATES);      // owner assigns, the provider starts
 *   await at(t); await ctx.pools.syncPool(poolId);               // the next transaction is mined at t
 *
 * Amounts: reservations buy whole unit-seconds (a balance is × MILLI), rates are thousandths of a unit per
 * second, prices are token units per unit-second. PRICES are distinct per resource, so that paying one
 * resource's amount for another's shows up.
 *
 * Like fixtures.ts it does not use chai; unlike it, it imports loadFixture (it serves the tests only).
 */
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MaxUint256,
  ZeroAddress,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type LogDescription,
  type TypedDataDomain,
} from "ethers";

import type { AccordToken, CapacityPools, ERC1271WalletMock, ReentrantERC20Mock } from "../../typechain-types";
import {
  NEW_POOL,
  RESERVATION_TYPES,
  capacityPoolsDomain,
  reservationDigest as reservationDigestOffchain,
  type ReservationData,
} from "../../src/pools/reservation";
import { MAX_BATCH, MILLI, NEVER } from "../../src/pools/model";
import { blockTime, mined } from "./fixtures";

export { PoolStatus, WorkloadStatus } from "../../src/model";
export { MILLI, NEVER, NEW_POOL };
/** ICapacityPools' bounds as the TypeScript model has them (the views test checks the contract agrees). */
export {
  LOW_RUNWAY,
  MAX_BATCH,
  MAX_GRACE_SECONDS,
  MAX_NODES_PER_POOL,
  MAX_WORKLOADS_PER_POOL,
  MIN_RUNWAY,
} from "../../src/pools/model";

/*//////////////////////////////////////////////////////////////
                              CONSTANTS
//////////////////////////////////////////////////////////////*/

export interface PricesT {
  cu: bigint;
  su: bigint;
  ipv4u: bigint;
}
export type RatesT = PricesT;

/** The main farm's prices (token units per unit-second). */
export const PRICES: Readonly<PricesT> = Object.freeze({ cu: 7n, su: 3n, ipv4u: 11n });
/** The other farm's prices. */
export const OTHER_PRICES: Readonly<PricesT> = Object.freeze({ cu: 2n, su: 1n, ipv4u: 5n });
/** A workload of 1 CU and 0.5 SU, no IPv4: 1000 and 500 milli-units per second. */
export const RATES: Readonly<RatesT> = Object.freeze({ cu: 1_000n, su: 500n, ipv4u: 0n });
/** What `createPool` buys by default: 10_000 CU·s, 20_000 SU·s, 5_000 IPv4U·s (runway 10_000 s at RATES). */
export const CAPACITY = Object.freeze({ cus: 10_000n, sus: 20_000n, ipv4us: 5_000n });
/** The default pool's grace period. */
export const GRACE = 3_600n;
/** How many nodes the main farm declares (more than MAX_NODES_PER_POOL). */
export const FARM_NODES = 40;

export const FUNDING = 10n ** 24n;
export const INITIAL_SUPPLY = 10n ** 30n;
/** A deadline no test reaches. */
export const FAR_DEADLINE = 10n ** 12n;

/*//////////////////////////////////////////////////////////////
                               IDS
//////////////////////////////////////////////////////////////*/

export const FARM_SALT = ethers.id("farm-main");
export const OTHER_FARM_SALT = ethers.id("farm-other");

/** A node ID: keccak256("node-<label>"). */
export function nodeIdOf(label: string | number): string {
  return ethers.id(`node-${label}`);
}

let workloadCounter = 0;
/** A fresh workload ID. */
export function nextWorkloadId(label = "workload"): string {
  workloadCounter += 1;
  return ethers.id(`${label}-${workloadCounter}`);
}

let nonceCounter = 1_000n;
/** A fresh nonce (unique across the run, so fixtures restored by snapshot never clash). */
export function nextNonce(): bigint {
  nonceCounter += 1n;
  return nonceCounter;
}

/*//////////////////////////////////////////////////////////////
                              FIXTURES
//////////////////////////////////////////////////////////////*/

/**
 * `loadFixture`, then one empty block a second after the snapshot's last. Reverting to a snapshot leaves the
 * chain's clock running on from the wall-clock time since the snapshot was taken (a fixture's snapshot is reused
 * by every file, so that can be minutes under coverage); mining a block at an explicit time re-bases the clock,
 * so that untimed transactions follow the fixture's times by seconds and `at(fixtureTime + n)` stays ahead.
 */
export async function loadPoolsFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const ctx = await loadFixture(fixture);
  await time.increaseTo((await time.latest()) + 1);
  return ctx;
}

export interface PoolsAccounts {
  deployer: HardhatEthersSigner;
  /** The main farm's provider. */
  provider: HardhatEthersSigner;
  customer: HardhatEthersSigner;
  sponsor: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** The other farm's provider. */
  otherProvider: HardhatEthersSigner;
  /** Owns the ERC-1271 wallet. */
  walletOwner: HardhatEthersSigner;
}

export interface PoolsFixture<T = AccordToken> extends PoolsAccounts {
  token: T;
  pools: CapacityPools;
  poolsAddress: string;
  chainId: bigint;
  domain: TypedDataDomain;
  /** The main farm (provider, PRICES) and its FARM_NODES declared nodes. */
  farmId: string;
  nodes: string[];
  /** Another farm (otherProvider, OTHER_PRICES) with two nodes. */
  otherFarmId: string;
  otherNodes: string[];
  /** A node nobody declared. */
  undeclaredNode: string;
}

interface FundableToken {
  getAddress(): Promise<string>;
  connect(runner: HardhatEthersSigner): FundableToken;
  mint(to: string, amount: bigint): Promise<ContractTransactionResponse>;
  approve(spender: string, amount: bigint): Promise<ContractTransactionResponse>;
}

async function getAccounts(): Promise<PoolsAccounts> {
  const [deployer, provider, customer, sponsor, stranger, otherProvider, walletOwner] = await ethers.getSigners();
  return { deployer, provider, customer, sponsor, stranger, otherProvider, walletOwner };
}

async function setUp<T extends FundableToken>(accounts: PoolsAccounts, token: T): Promise<PoolsFixture<T>> {
  const pools = await ethers.deployContract("CapacityPools", [await token.getAddress()]);
  const poolsAddress = await pools.getAddress();
  const { chainId } = await ethers.provider.getNetwork();
  for (const account of [accounts.customer, accounts.sponsor, accounts.stranger, accounts.provider]) {
    await token.connect(accounts.deployer).mint(account.address, FUNDING);
    await token.connect(account).approve(poolsAddress, MaxUint256);
  }
  const farmId = await pools.farmIdOf(accounts.provider.address, FARM_SALT);
  await pools.connect(accounts.provider).createFarm(FARM_SALT, PRICES);
  const nodes = Array.from({ length: FARM_NODES }, (_, i) => nodeIdOf(i));
  await pools.connect(accounts.provider).declareNodes(farmId, nodes.slice(0, MAX_BATCH));
  await pools.connect(accounts.provider).declareNodes(farmId, nodes.slice(MAX_BATCH));
  const otherFarmId = await pools.farmIdOf(accounts.otherProvider.address, OTHER_FARM_SALT);
  await pools.connect(accounts.otherProvider).createFarm(OTHER_FARM_SALT, OTHER_PRICES);
  const otherNodes = [nodeIdOf("other-0"), nodeIdOf("other-1")];
  await pools.connect(accounts.otherProvider).declareNodes(otherFarmId, otherNodes);
  return {
    ...accounts,
    token,
    pools,
    poolsAddress,
    chainId,
    domain: capacityPoolsDomain(chainId, poolsAddress),
    farmId,
    nodes,
    otherFarmId,
    otherNodes,
    undeclaredNode: nodeIdOf("undeclared"),
  };
}

/**
 * AccordToken + CapacityPools; the provider's farm (PRICES) with FARM_NODES nodes, the other provider's farm
 * (OTHER_PRICES) with two; customer, sponsor, stranger and provider funded with FUNDING and approved. Use with
 * `loadFixture`.
 */
export async function deployPoolsFixture(): Promise<PoolsFixture> {
  const accounts = await getAccounts();
  const token = await ethers.deployContract("AccordToken", [accounts.deployer.address, INITIAL_SUPPLY]);
  return setUp(accounts, token);
}

/** The same on a token whose transfers call back into a contract (for re-entrancy). Use with `loadFixture`. */
export async function deployReentrantPoolsFixture(): Promise<PoolsFixture<ReentrantERC20Mock>> {
  const accounts = await getAccounts();
  const token = await ethers.deployContract("ReentrantERC20Mock");
  return setUp(accounts, token);
}

/** An ERC-1271 wallet owned by `walletOwner`, funded with FUNDING and approving the pools (through `execute`). */
export async function deployWallet(ctx: PoolsFixture): Promise<ERC1271WalletMock> {
  const wallet = await ethers.deployContract("ERC1271WalletMock", [ctx.walletOwner.address]);
  const walletAddress = await wallet.getAddress();
  await ctx.token.connect(ctx.deployer).mint(walletAddress, FUNDING);
  const approve = ctx.token.interface.encodeFunctionData("approve", [ctx.poolsAddress, MaxUint256]);
  await wallet.connect(ctx.walletOwner).execute(await ctx.token.getAddress(), approve);
  return wallet;
}

/*//////////////////////////////////////////////////////////////
                            RESERVATIONS
//////////////////////////////////////////////////////////////*/

export type ReservationOverrides = Partial<ReservationData>;

/**
 * A reservation: by default the customer creates a pool on the main farm's nodes 0 and 1 with CAPACITY, GRACE,
 * no sponsor, no cost cap, a fresh nonce and FAR_DEADLINE. A `poolId` makes it a top-up (no nodes, no grace).
 */
export function makeReservation(ctx: PoolsFixture<unknown>, overrides: ReservationOverrides = {}): ReservationData {
  const topUp = overrides.poolId !== undefined && overrides.poolId !== NEW_POOL;
  return {
    poolId: NEW_POOL,
    customer: ctx.customer.address,
    sponsor: ZeroAddress,
    farmId: ctx.farmId,
    cus: CAPACITY.cus,
    sus: CAPACITY.sus,
    ipv4us: CAPACITY.ipv4us,
    nodeIds: topUp ? [] : [ctx.nodes[0], ctx.nodes[1]],
    graceSeconds: topUp ? 0n : GRACE,
    maxCost: MaxUint256,
    nonce: nextNonce(),
    deadline: FAR_DEADLINE,
    ...overrides,
  };
}

/** `signer`'s EIP-712 signature of the reservation for the fixture's pools (or another domain). */
export function signReservation(
  signer: HardhatEthersSigner,
  ctx: PoolsFixture<unknown>,
  data: ReservationData,
  domain: TypedDataDomain = ctx.domain,
): Promise<string> {
  return signer.signTypedData(domain, RESERVATION_TYPES, data);
}

/** The digest the customer and sponsor sign: a pool the reservation creates gets it as ID. */
export function digestOf(ctx: PoolsFixture<unknown>, data: ReservationData): string {
  return reservationDigestOffchain(data, ctx.domain);
}

export interface SubmitOptions {
  /** Who sends the transaction (the stranger by default: anyone may submit). */
  submitter?: HardhatEthersSigner;
  /** Signs for the customer (the customer's own signer by default; a wallet's owner for a wallet). */
  customerSigner?: HardhatEthersSigner;
  sponsorSigner?: HardhatEthersSigner;
  /** Explicit signatures (override the signers). */
  customerSignature?: string;
  sponsorSignature?: string;
}

async function signerFor(address: string): Promise<HardhatEthersSigner> {
  return ethers.getSigner(address);
}

/** The two signatures `submitReservation` would pass. */
export async function signaturesFor(
  ctx: PoolsFixture<unknown>,
  data: ReservationData,
  opts: SubmitOptions = {},
): Promise<[string, string]> {
  const customerSignature =
    opts.customerSignature ??
    (await signReservation(opts.customerSigner ?? (await signerFor(data.customer)), ctx, data));
  let sponsorSignature = opts.sponsorSignature ?? "0x";
  if (opts.sponsorSignature === undefined && data.sponsor !== ZeroAddress) {
    sponsorSignature = await signReservation(opts.sponsorSigner ?? (await signerFor(data.sponsor)), ctx, data);
  }
  return [customerSignature, sponsorSignature];
}

/** Signs (customer, and sponsor if any) and submits the reservation; returns the transaction, unmined. */
export async function sendReservation(
  ctx: PoolsFixture<unknown>,
  data: ReservationData,
  opts: SubmitOptions = {},
): Promise<ContractTransactionResponse> {
  const [customerSignature, sponsorSignature] = await signaturesFor(ctx, data, opts);
  return ctx.pools.connect(opts.submitter ?? ctx.stranger).reserve(data, customerSignature, sponsorSignature);
}

export interface Submitted {
  /** The pool created (the digest) or topped up. */
  poolId: string;
  data: ReservationData;
  tx: ContractTransactionResponse;
  receipt: ContractTransactionReceipt;
  /** The block timestamp of the transaction. */
  at: bigint;
}

/** Signs, submits and mines a reservation. */
export async function submitReservation(
  ctx: PoolsFixture<unknown>,
  data: ReservationData,
  opts: SubmitOptions = {},
): Promise<Submitted> {
  const tx = await sendReservation(ctx, data, opts);
  const receipt = await mined(tx);
  const poolId = data.poolId === NEW_POOL ? digestOf(ctx, data) : data.poolId;
  return { poolId, data, tx, receipt, at: await blockTime(receipt) };
}

/** Creates a pool (see `makeReservation` for the defaults). */
export function createPool(
  ctx: PoolsFixture<unknown>,
  overrides: ReservationOverrides = {},
  opts: SubmitOptions = {},
): Promise<Submitted> {
  return submitReservation(ctx, makeReservation(ctx, overrides), opts);
}

/** Tops a pool up (the customer buys `overrides`' amounts, CAPACITY by default). */
export function topUp(
  ctx: PoolsFixture<unknown>,
  poolId: string,
  overrides: ReservationOverrides = {},
  opts: SubmitOptions = {},
): Promise<Submitted> {
  return submitReservation(ctx, makeReservation(ctx, { poolId, ...overrides }), opts);
}

/** What a reservation costs at `prices`. */
export function costOf(amounts: { cus: bigint; sus: bigint; ipv4us: bigint }, prices: PricesT = PRICES): bigint {
  return amounts.cus * prices.cu + amounts.sus * prices.su + amounts.ipv4us * prices.ipv4u;
}

/*//////////////////////////////////////////////////////////////
                              WORKLOADS
//////////////////////////////////////////////////////////////*/

export function ratesTuple(rates: RatesT): [bigint, bigint, bigint] {
  return [rates.cu, rates.su, rates.ipv4u];
}

/** The owner (the customer by default) assigns a fresh workload to `nodeId` (the main farm's node 0). */
export async function assign(
  ctx: PoolsFixture<unknown>,
  poolId: string,
  rates: RatesT = RATES,
  opts: { nodeId?: string; id?: string; owner?: HardhatEthersSigner } = {},
): Promise<string> {
  const id = opts.id ?? nextWorkloadId();
  await mined(
    ctx.pools.connect(opts.owner ?? ctx.customer).assignWorkload(id, poolId, opts.nodeId ?? ctx.nodes[0], rates),
  );
  return id;
}

/** The provider starts the workload; returns the block timestamp. */
export async function start(ctx: PoolsFixture<unknown>, id: string, provider?: HardhatEthersSigner): Promise<bigint> {
  return blockTime(await mined(ctx.pools.connect(provider ?? ctx.provider).startWorkload(id)));
}

/** Assigns and starts a workload; returns its ID and when it started. */
export async function assignAndStart(
  ctx: PoolsFixture<unknown>,
  poolId: string,
  rates: RatesT = RATES,
  opts: { nodeId?: string; id?: string; at?: bigint } = {},
): Promise<{ id: string; startedAt: bigint }> {
  const id = await assign(ctx, poolId, rates, opts);
  if (opts.at !== undefined) await time.setNextBlockTimestamp(opts.at);
  const startedAt = await start(ctx, id);
  return { id, startedAt };
}

/*//////////////////////////////////////////////////////////////
                                TIME
//////////////////////////////////////////////////////////////*/

// The chain-time helpers every family's tests use live in fixtures.ts.
export { at, blockTime, mineAt, mined, now } from "./fixtures";

/*//////////////////////////////////////////////////////////////
                           POOL ARITHMETIC
//////////////////////////////////////////////////////////////*/

/** What consuming `used` of a resource pays: `value × used / balance`, exactly `value` when it runs out. */
export function paidFor(value: bigint, used: bigint, balance: bigint): bigint {
  if (used === 0n) return 0n;
  return used === balance ? value : (value * used) / balance;
}

/** A pool's unconsumed value (the sum over its resources). */
export function valueOf(p: { cu: { value: bigint }; su: { value: bigint }; ipv4u: { value: bigint } }): bigint {
  return p.cu.value + p.su.value + p.ipv4u.value;
}

/** The arguments of PoolUpdated for a pool as `getPool` returns it. */
export function poolUpdatedArgs(
  poolId: string,
  p: Awaited<ReturnType<CapacityPools["getPool"]>>,
): [string, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint] {
  return [
    poolId,
    p.lastUpdated,
    p.emptyAt,
    p.cu.balance,
    p.su.balance,
    p.ipv4u.balance,
    p.cuRate,
    p.suRate,
    p.ipv4uRate,
    valueOf(p),
  ];
}

/*//////////////////////////////////////////////////////////////
                               EVENTS
//////////////////////////////////////////////////////////////*/

/** The pools' events in the receipt, in order. */
export function poolEventsOf(pools: CapacityPools, receipt: ContractTransactionReceipt): LogDescription[] {
  const out: LogDescription[] = [];
  // A deployed contract's target is its address.
  const address = (pools.target as string).toLowerCase();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = pools.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed) out.push(parsed);
  }
  return out;
}

/** The names of the pools' events in the receipt, in order. */
export function eventNames(pools: CapacityPools, receipt: ContractTransactionReceipt): string[] {
  return poolEventsOf(pools, receipt).map((e) => e.name);
}

/** The nonce-free reservation fields as CapacityAdded logs them after (poolId, customer, payer, nonce). */
export function capacityAddedArgs(
  poolId: string,
  data: ReservationData,
  payer: string,
  cost: bigint,
): [string, string, string, bigint, bigint, bigint, bigint, bigint] {
  return [poolId, data.customer, payer, data.nonce, data.cus, data.sus, data.ipv4us, cost];
}

/*//////////////////////////////////////////////////////////////
                          SCENARIO FIXTURES
//////////////////////////////////////////////////////////////*/

/** The main fixture with one pool: the customer's, default reservation (CAPACITY, GRACE, nodes 0 and 1). */
export interface PoolFixture extends PoolsFixture {
  poolId: string;
  created: Submitted;
}

export async function poolFixture(): Promise<PoolFixture> {
  const ctx = await deployPoolsFixture();
  const created = await createPool(ctx);
  return { ...ctx, poolId: created.poolId, created };
}

/** The default pool with one workload at RATES running on node 0: it empties RUNWAY seconds after it started. */
export interface RunningFixture extends PoolFixture {
  workloadId: string;
  startedAt: bigint;
  emptyAt: bigint;
}

/** CAPACITY at RATES: CU binds (10_000 CU·s at 1 CU/s); SU would last 40_000 s. */
export const RUNWAY = 10_000n;

export async function runningPoolFixture(): Promise<RunningFixture> {
  const ctx = await poolFixture();
  const { id, startedAt } = await assignAndStart(ctx, ctx.poolId);
  return { ...ctx, workloadId: id, startedAt, emptyAt: startedAt + RUNWAY };
}

/**
 * What the default pool (CAPACITY at PRICES) has paid its provider after `t` seconds of RATES, synced once:
 * CU 70_000 × 1000t / 10_000_000 = 7t, SU 60_000 × 500t / 20_000_000 = ⌊1.5t⌋ (t ≤ RUNWAY).
 */
export function defaultAccrual(t: bigint): bigint {
  const cu = paidFor(CAPACITY.cus * PRICES.cu, RATES.cu * t, CAPACITY.cus * MILLI);
  const su = paidFor(CAPACITY.sus * PRICES.su, RATES.su * t, CAPACITY.sus * MILLI);
  return cu + su;
}
