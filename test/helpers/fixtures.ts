/**
 * Shared fixtures and helpers for the Accord contract tests and the gas benchmark.
 *
 * Nothing here depends on mocha or chai: the gas benchmark (`scripts/bench/gas.ts`, run with `hardhat run`)
 * imports `makeTerms`, the EIP-712 types and the state-driving helpers from this file.
 *
 * Typical use:
 *   const ctx = await loadFixture(deployMarketFixture);       // tests (snapshot-restored per test)
 *   const ctx = await deployMarketFixture();                  // scripts
 *   const terms = makeTerms({ pricing: { mediationFee: 0n } });
 *   const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { terms });
 *   await market.getDeal(deal.dealKey);                        // deals live under keccak256(dealId, jc, rp)
 */
import { ethers, network } from "hardhat";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MaxUint256,
  TypedDataEncoder,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type TypedDataDomain,
} from "ethers";

import type {
  AccordToken,
  BlacklistERC20Mock,
  DealMarket,
  ReentrantERC20Mock,
  ServiceRegistry,
} from "../../typechain-types";

/*//////////////////////////////////////////////////////////////
                      ENUMS (contracts/types/DataTypes.sol)
//////////////////////////////////////////////////////////////*/

// The enums are the data model's (same indices as contracts/types/DataTypes.sol).
export { AgreementState, PaymentDirection, PaymentReason, ServiceType } from "../../src/model";
import {
  AgreementState,
  BLOCKHASH_WINDOW,
  dealKey,
  mediatorDrawIndex,
  type PaymentDirection,
  type PaymentReason,
} from "../../src/model";

/** The states no action leads out of. */
export const TERMINAL_STATES: readonly AgreementState[] = [
  AgreementState.ResultsAccepted,
  AgreementState.MediationAccepted,
  AgreementState.MediationRejected,
  AgreementState.TimeoutSubmitResults,
  AgreementState.TimeoutJudgeResults,
  AgreementState.TimeoutMediateResults,
  AgreementState.TimeoutAgree,
];

/*//////////////////////////////////////////////////////////////
                              TERMS
//////////////////////////////////////////////////////////////*/

export interface DealMembers {
  jobCreator: string;
  resourceProvider: string;
  solver: string;
  mediators: string[];
}

export interface DealPricing {
  instructionPrice: bigint;
  paymentCollateral: bigint;
  resultsCollateralMultiple: bigint;
  mediationFee: bigint;
}

export interface DealTimeouts {
  agree: bigint;
  submitResults: bigint;
  judgeResults: bigint;
  mediateResults: bigint;
  agreeCollateral: bigint;
  submitResultsCollateral: bigint;
  judgeResultsCollateral: bigint;
  mediateResultsCollateral: bigint;
}

/** The deal terms as the contracts take them (assignable to TypeChain's `DealTermsStruct`). */
export interface DealTerms {
  members: DealMembers;
  pricing: DealPricing;
  timeouts: DealTimeouts;
}

export interface TermsOverrides {
  members?: Partial<DealMembers>;
  pricing?: Partial<DealPricing>;
  timeouts?: Partial<DealTimeouts>;
}

/**
 * Default prices and collateral: all distinct, so paying one amount where another is due shows up.
 * With DEFAULT_INSTRUCTION_COUNT the job cost (600_000) is below the payment collateral; with
 * OVER_COLLATERAL_INSTRUCTION_COUNT (1_500_000) it is above it, so the payment is capped.
 */
export const DEFAULT_PRICING: Readonly<DealPricing> = Object.freeze({
  instructionPrice: 1_000n,
  paymentCollateral: 1_000_000n,
  resultsCollateralMultiple: 2n,
  mediationFee: 50_000n,
});

export const DEFAULT_TIMEOUTS: Readonly<DealTimeouts> = Object.freeze({
  agree: 3_600n,
  submitResults: 7_200n,
  judgeResults: 5_400n,
  mediateResults: 9_000n,
  agreeCollateral: 11n, // carried for parity, never escrowed
  submitResultsCollateral: 30_000n,
  judgeResultsCollateral: 20_000n,
  mediateResultsCollateral: 13n, // carried for parity, never escrowed
});

export const DEFAULT_INSTRUCTION_COUNT = 600n;
export const OVER_COLLATERAL_INSTRUCTION_COUNT = 1_500n;

let defaultMembers: DealMembers | undefined;

/** Sets the members `makeTerms` uses when none are given (`getParties` does this). */
export function setDefaultMembers(members: DealMembers): void {
  defaultMembers = { ...members, mediators: [...members.mediators] };
}

/**
 * Builds deal terms: DEFAULT_PRICING, DEFAULT_TIMEOUTS and the default parties (the fixture's job creator,
 * resource provider, solver and three mediators), each field overridable.
 */
export function makeTerms(overrides: TermsOverrides = {}): DealTerms {
  const members = { ...(defaultMembers ?? {}), ...overrides.members } as Partial<DealMembers>;
  if (!members.jobCreator || !members.resourceProvider || !members.solver || !members.mediators) {
    throw new Error("makeTerms: pass every member, or call getParties()/deployMarketFixture() first");
  }
  return {
    members: {
      jobCreator: members.jobCreator,
      resourceProvider: members.resourceProvider,
      solver: members.solver,
      mediators: [...members.mediators],
    },
    pricing: { ...DEFAULT_PRICING, ...overrides.pricing },
    timeouts: { ...DEFAULT_TIMEOUTS, ...overrides.timeouts },
  };
}

/** A deep copy of `terms` with `overrides` applied. */
export function withTerms(terms: DealTerms, overrides: TermsOverrides): DealTerms {
  return {
    members: { ...terms.members, mediators: [...terms.members.mediators], ...overrides.members },
    pricing: { ...terms.pricing, ...overrides.pricing },
    timeouts: { ...terms.timeouts, ...overrides.timeouts },
  };
}

/*//////////////////////////////////////////////////////////////
                       DEAL KEY AND MEDIATOR DRAW
//////////////////////////////////////////////////////////////*/

/** The EVM keeps the hashes of the last 256 blocks: a draw can be read (or fixed) until drawBlock + 256. */
// The key and draw formulas are the model's (checked against DealHashing in test/model/deal-key.test.ts).
export { BLOCKHASH_WINDOW, dealKey as dealKeyOf, mediatorDrawIndex as drawIndexOf };

/** The key of the deal `terms` describe under `dealId` (what every action derives from the terms' parties). */
export function dealKeyOfTerms(dealId: string, terms: DealTerms): string {
  return dealKey(dealId, terms.members.jobCreator, terms.members.resourceProvider);
}

/** job cost = instructionPrice × instructionCount. */
export function jobCost(terms: DealTerms, instructionCount: bigint): bigint {
  return terms.pricing.instructionPrice * instructionCount;
}

/** results collateral = resultsCollateralMultiple × job cost. */
export function resultsCollateral(terms: DealTerms, instructionCount: bigint): bigint {
  return terms.pricing.resultsCollateralMultiple * jobCost(terms, instructionCount);
}

/** What the provider is paid for results: min(job cost, payment collateral). */
export function jobPayment(terms: DealTerms, instructionCount: bigint): bigint {
  const cost = jobCost(terms, instructionCount);
  return cost < terms.pricing.paymentCollateral ? cost : terms.pricing.paymentCollateral;
}

/*//////////////////////////////////////////////////////////////
                             EIP-712
//////////////////////////////////////////////////////////////*/

// The EIP-712 agreement is defined once, for the clients (src/clients/terms.ts).
export {
  DEAL_MARKET_EIP712_NAME as EIP712_NAME,
  DEAL_MARKET_EIP712_VERSION as EIP712_VERSION,
  DEAL_AGREEMENT_TYPES as AGREEMENT_TYPES,
} from "../../src/clients/terms";
import { DEAL_AGREEMENT_TYPES as AGREEMENT_TYPES, dealMarketDomain } from "../../src/clients/terms";

/** Anything with an address (a contract or a signer). */
export interface Addressable {
  getAddress(): Promise<string>;
}

export async function agreementDomain(market: Addressable): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return dealMarketDomain(chainId, await market.getAddress());
}

/** The EIP-712 struct hash of the terms, computed off-chain. */
export function hashTermsOffchain(terms: DealTerms): string {
  return TypedDataEncoder.hashStruct("DealTerms", AGREEMENT_TYPES, terms);
}

/** The digest both parties sign, computed off-chain. */
export async function agreementDigestOffchain(
  market: Addressable,
  dealId: string,
  terms: DealTerms,
  deadline: bigint,
): Promise<string> {
  return TypedDataEncoder.hash(await agreementDomain(market), AGREEMENT_TYPES, { dealId, terms, deadline });
}

/** `signer`'s EIP-712 signature of Agreement(dealId, terms, deadline) for `market`. */
export async function signAgreement(
  signer: HardhatEthersSigner,
  market: Addressable,
  dealId: string,
  terms: DealTerms,
  deadline: bigint,
): Promise<string> {
  return signer.signTypedData(await agreementDomain(market), AGREEMENT_TYPES, { dealId, terms, deadline });
}

/*//////////////////////////////////////////////////////////////
                         PARTIES AND DEPLOYMENT
//////////////////////////////////////////////////////////////*/

export interface Parties {
  deployer: HardhatEthersSigner;
  jobCreator: HardhatEthersSigner;
  resourceProvider: HardhatEthersSigner;
  solver: HardhatEthersSigner;
  mediators: HardhatEthersSigner[];
  stranger: HardhatEthersSigner;
}

/** Signers 0..7: deployer, job creator, resource provider, solver, three mediators, a stranger. */
export async function getParties(): Promise<Parties> {
  const [deployer, jobCreator, resourceProvider, solver, m0, m1, m2, stranger] = await ethers.getSigners();
  const parties = { deployer, jobCreator, resourceProvider, solver, mediators: [m0, m1, m2], stranger };
  setDefaultMembers({
    jobCreator: jobCreator.address,
    resourceProvider: resourceProvider.address,
    solver: solver.address,
    mediators: parties.mediators.map((m) => m.address),
  });
  return parties;
}

export const INITIAL_SUPPLY = 10n ** 30n;
export const FUNDING = 10n ** 24n;

/** What the deal helpers need. */
export interface DealContext {
  market: DealMarket;
  parties: Parties;
}

export interface MarketFixture<T> extends DealContext, Parties {
  token: T;
  registry: ServiceRegistry;
}

/** The tokens the fixtures deploy: each has an owner-or-anyone `mint`. */
interface MintableToken {
  connect(runner: HardhatEthersSigner): MintableToken;
  mint(to: string, amount: bigint): Promise<ContractTransactionResponse>;
  approve(spender: string, amount: bigint): Promise<ContractTransactionResponse>;
}

/** Every party but the deployer gets FUNDING and approves the market for all it holds. */
export async function fundAndApprove(token: MintableToken, parties: Parties, marketAddress: string): Promise<void> {
  const funded = [parties.jobCreator, parties.resourceProvider, parties.solver, ...parties.mediators, parties.stranger];
  for (const account of funded) {
    await token.connect(parties.deployer).mint(account.address, FUNDING);
    await token.connect(account).approve(marketAddress, MaxUint256);
  }
}

/** AccordToken + DealMarket + ServiceRegistry, parties funded and approved. Use with `loadFixture`. */
export async function deployMarketFixture(): Promise<MarketFixture<AccordToken>> {
  const parties = await getParties();
  const token = await ethers.deployContract("AccordToken", [parties.deployer.address, INITIAL_SUPPLY]);
  const market = await ethers.deployContract("DealMarket", [await token.getAddress()]);
  const registry = await ethers.deployContract("ServiceRegistry");
  await fundAndApprove(token, parties, await market.getAddress());
  return { token, market, registry, parties, ...parties };
}

/** A DealMarket on a token that can blacklist accounts (for deferred payouts). Use with `loadFixture`. */
export async function deployBlacklistMarketFixture(): Promise<MarketFixture<BlacklistERC20Mock>> {
  const parties = await getParties();
  const token = await ethers.deployContract("BlacklistERC20Mock");
  const market = await ethers.deployContract("DealMarket", [await token.getAddress()]);
  const registry = await ethers.deployContract("ServiceRegistry");
  await fundAndApprove(token, parties, await market.getAddress());
  return { token, market, registry, parties, ...parties };
}

/** A DealMarket on a token whose transfers call back into a contract (for re-entrancy). */
export async function deployReentrantMarketFixture(): Promise<MarketFixture<ReentrantERC20Mock>> {
  const parties = await getParties();
  const token = await ethers.deployContract("ReentrantERC20Mock");
  const market = await ethers.deployContract("DealMarket", [await token.getAddress()]);
  const registry = await ethers.deployContract("ServiceRegistry");
  await fundAndApprove(token, parties, await market.getAddress());
  return { token, market, registry, parties, ...parties };
}

/*//////////////////////////////////////////////////////////////
                             DEALS
//////////////////////////////////////////////////////////////*/

let dealCounter = 0;

/** A fresh deal ID: the sha256 digest of a unique label (as the real one is of the deal's CID). */
export function nextDealId(label = "deal"): string {
  dealCounter += 1;
  return ethers.sha256(ethers.toUtf8Bytes(`${label}-${dealCounter}`));
}

export function resultsIdOf(label: string): string {
  return ethers.sha256(ethers.toUtf8Bytes(`results-${label}`));
}

/** A deal and what later calls must pass back for it. */
export interface DealHandle {
  dealId: string;
  /** Where the market keeps it: dealKeyOf(dealId, jobCreator, resourceProvider). Views and events use it. */
  dealKey: string;
  terms: DealTerms;
  /** 0 until results are added. */
  instructionCount: bigint;
  resultsId: string;
  /** The block of the last MediationRequested (checkResult or a redraw); -1 before. */
  drawBlock: number;
  /** The index the draw gives (from the draw block's hash, known once that block is mined); -1 before. */
  mediatorIndex: number;
  /** The receipt of the last step taken. */
  receipt?: ContractTransactionReceipt;
}

export interface DriveOptions {
  dealId?: string;
  terms?: DealTerms;
  /** What addResult reports; DEFAULT_INSTRUCTION_COUNT by default. */
  instructionCount?: bigint;
  resultsId?: string;
  /** How the deal is agreed: two `agree` calls (default) or `agreeWithSignatures`. */
  via?: "agree" | "signatures";
  /** Who agrees first on the two-step path (and alone, for DealNegotiating / TimeoutAgree). */
  firstParty?: "jobCreator" | "resourceProvider";
  /** Who claims the mediation timeout (job creator by default). */
  mediationTimeoutCaller?: "jobCreator" | "resourceProvider";
}

async function signerOf(address: string): Promise<HardhatEthersSigner> {
  return ethers.getSigner(address);
}

async function send(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

/** When the deal's current step times out: updatedAt + timeout. `dealKey` is the deal's key (DealHandle.dealKey). */
export async function deadlineOf(market: DealMarket, dealKey: string, timeout: bigint): Promise<bigint> {
  const record = await market.getDeal(dealKey);
  return record.updatedAt + timeout;
}

/** Moves the chain so that the next block is `seconds` after the deal's current step timed out (default 1). */
export async function passDeadline(market: DealMarket, dealKey: string, timeout: bigint, seconds = 1n): Promise<void> {
  await time.setNextBlockTimestamp((await deadlineOf(market, dealKey, timeout)) + seconds);
}

/** The receipt's MediationRequested event (the first, or the one of `dealKey`): its deal key and draw block. */
export function mediationRequestFrom(
  market: DealMarket,
  receipt: ContractTransactionReceipt,
  dealKey?: string,
): { dealKey: string; drawBlock: number } {
  for (const log of receipt.logs) {
    const parsed = safeParse(market, log);
    if (parsed?.name !== "MediationRequested") continue;
    if (dealKey !== undefined && parsed.args.dealKey !== dealKey) continue;
    return { dealKey: parsed.args.dealKey as string, drawBlock: Number(parsed.args.drawBlock) };
  }
  throw new Error("no MediationRequested event");
}

/**
 * The index of the mediator drawn by a receipt's MediationRequested event, as an off-chain reader computes it:
 * from the hash of the block that logged it (the draw block) and the deal key.
 */
export function mediatorIndexFrom(
  market: DealMarket,
  receipt: ContractTransactionReceipt,
  mediatorCount: number,
): number {
  const request = mediationRequestFrom(market, receipt);
  if (request.drawBlock !== receipt.blockNumber) throw new Error("MediationRequested names another block");
  return mediatorDrawIndex(receipt.blockHash, request.dealKey, mediatorCount);
}

function safeParse(market: DealMarket, log: { topics: readonly string[]; data: string }) {
  try {
    return market.interface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}

/** A Payment event as [payee, amount, reason, direction]. */
export type PaymentTuple = [string, bigint, PaymentReason, PaymentDirection];

/** Every Payment event of the deal under `dealKey` (all deals if omitted) in the receipt, in order. */
export function paymentsOf(market: DealMarket, receipt: ContractTransactionReceipt, dealKey?: string): PaymentTuple[] {
  const out: PaymentTuple[] = [];
  for (const log of receipt.logs) {
    const parsed = safeParse(market, log);
    if (parsed?.name !== "Payment") continue;
    if (dealKey !== undefined && parsed.args.dealKey !== dealKey) continue;
    out.push([
      parsed.args.payee as string,
      parsed.args.amount as bigint,
      Number(parsed.args.reason) as PaymentReason,
      Number(parsed.args.direction) as PaymentDirection,
    ]);
  }
  return out;
}

/** The names of the market's events in the receipt, in order. */
export function eventNamesOf(market: DealMarket, receipt: ContractTransactionReceipt): string[] {
  return receipt.logs.map((log) => safeParse(market, log)?.name).filter((n): n is string => n !== undefined);
}

/** Both parties agree on the two-step path (first party first). */
export async function agreeBoth(
  ctx: DealContext,
  deal: DealHandle,
  firstParty: DriveOptions["firstParty"] = "jobCreator",
) {
  const { market } = ctx;
  const jc = await signerOf(deal.terms.members.jobCreator);
  const rp = await signerOf(deal.terms.members.resourceProvider);
  const [first, second] = firstParty === "resourceProvider" ? [rp, jc] : [jc, rp];
  await send(market.connect(first).agree(deal.dealId, deal.terms));
  deal.receipt = await send(market.connect(second).agree(deal.dealId, deal.terms));
  return deal.receipt;
}

/** Both parties sign and the solver (or `submitter`) submits agreeWithSignatures. */
export async function agreeWithSigs(
  ctx: DealContext,
  deal: DealHandle,
  submitter?: HardhatEthersSigner,
  deadline?: bigint,
) {
  const { market } = ctx;
  const jc = await signerOf(deal.terms.members.jobCreator);
  const rp = await signerOf(deal.terms.members.resourceProvider);
  const until = deadline ?? BigInt(await time.latest()) + 3_600n;
  const jcSig = await signAgreement(jc, market, deal.dealId, deal.terms, until);
  const rpSig = await signAgreement(rp, market, deal.dealId, deal.terms, until);
  const by = submitter ?? ctx.parties.solver;
  deal.receipt = await send(market.connect(by).agreeWithSignatures(deal.dealId, deal.terms, until, jcSig, rpSig));
  return deal.receipt;
}

/**
 * Creates a deal and drives it to `target` through the shortest path of legal steps, each by the right party
 * (timeouts are claimed one second after their deadline). Returns what later calls must pass.
 */
export async function createDeal(
  ctx: DealContext,
  target: AgreementState,
  opts: DriveOptions = {},
): Promise<DealHandle> {
  const { market } = ctx;
  const terms = opts.terms ?? makeTerms();
  const dealId = opts.dealId ?? nextDealId();
  const deal: DealHandle = {
    dealId,
    dealKey: dealKeyOfTerms(dealId, terms),
    terms,
    instructionCount: 0n,
    resultsId: opts.resultsId ?? resultsIdOf(String(dealCounter)),
    drawBlock: -1,
    mediatorIndex: -1,
  };
  const jc = await signerOf(terms.members.jobCreator);
  const rp = await signerOf(terms.members.resourceProvider);
  const first = opts.firstParty === "resourceProvider" ? rp : jc;

  // Agreement.
  if (target === AgreementState.DealNegotiating || target === AgreementState.TimeoutAgree) {
    deal.receipt = await send(market.connect(first).agree(deal.dealId, terms));
    if (target === AgreementState.TimeoutAgree) {
      await passDeadline(market, deal.dealKey, terms.timeouts.agree);
      deal.receipt = await send(market.connect(first).timeoutAgree(deal.dealId, terms));
    }
    return deal;
  }
  if (opts.via === "signatures") await agreeWithSigs(ctx, deal);
  else await agreeBoth(ctx, deal, opts.firstParty);
  if (target === AgreementState.DealAgreed) return deal;
  if (target === AgreementState.TimeoutSubmitResults) {
    await passDeadline(market, deal.dealKey, terms.timeouts.submitResults);
    deal.receipt = await send(market.connect(jc).timeoutSubmitResults(deal.dealId, terms));
    return deal;
  }

  // Results.
  await addResultFor(ctx, deal, opts.instructionCount ?? DEFAULT_INSTRUCTION_COUNT);
  if (target === AgreementState.ResultsSubmitted) return deal;
  if (target === AgreementState.ResultsAccepted) {
    deal.receipt = await send(market.connect(jc).acceptResult(deal.dealId, terms, deal.instructionCount));
    return deal;
  }
  if (target === AgreementState.TimeoutJudgeResults) {
    await passDeadline(market, deal.dealKey, terms.timeouts.judgeResults);
    deal.receipt = await send(market.connect(rp).timeoutJudgeResults(deal.dealId, terms, deal.instructionCount));
    return deal;
  }

  // Mediation. The mediator is drawn from the hash of checkResult's block; under automine the mediator's
  // transaction is in a later block, so it can act at once.
  await checkResultFor(ctx, deal);
  if (target === AgreementState.ResultsChecked) return deal;
  const mediator = await signerOf(terms.members.mediators[deal.mediatorIndex]);
  const args = [deal.dealId, terms, deal.instructionCount] as const;
  if (target === AgreementState.MediationAccepted) {
    deal.receipt = await send(market.connect(mediator).mediationAcceptResult(...args));
  } else if (target === AgreementState.MediationRejected) {
    deal.receipt = await send(market.connect(mediator).mediationRejectResult(...args));
  } else if (target === AgreementState.TimeoutMediateResults) {
    await passDeadline(market, deal.dealKey, terms.timeouts.mediateResults);
    const caller = opts.mediationTimeoutCaller === "resourceProvider" ? rp : jc;
    deal.receipt = await send(market.connect(caller).timeoutMediateResults(...args));
  } else {
    throw new Error(`createDeal: unknown target state ${String(target)}`);
  }
  return deal;
}

/** The provider adds results (deal must be DealAgreed). */
export async function addResultFor(ctx: DealContext, deal: DealHandle, instructionCount = DEFAULT_INSTRUCTION_COUNT) {
  const rp = await signerOf(deal.terms.members.resourceProvider);
  deal.receipt = await send(
    ctx.market.connect(rp).addResult(deal.dealId, deal.terms, deal.resultsId, instructionCount),
  );
  deal.instructionCount = instructionCount;
  return deal.receipt;
}

/**
 * The job creator disputes the results (deal must be ResultsSubmitted); records the draw block and the mediator
 * its hash draws (computed off chain, as the indexer and the clients do).
 */
export async function checkResultFor(ctx: DealContext, deal: DealHandle) {
  const jc = await signerOf(deal.terms.members.jobCreator);
  deal.receipt = await send(ctx.market.connect(jc).checkResult(deal.dealId, deal.terms, deal.instructionCount));
  recordDraw(ctx.market, deal, deal.receipt);
  return deal.receipt;
}

/** Records the draw a receipt's MediationRequested starts (checkResult, or drawMediator's redraw). */
export function recordDraw(market: DealMarket, deal: DealHandle, receipt: ContractTransactionReceipt): void {
  deal.drawBlock = mediationRequestFrom(market, receipt, deal.dealKey).drawBlock;
  deal.mediatorIndex = mediatorIndexFrom(market, receipt, deal.terms.members.mediators.length);
}

/** Anyone (the stranger by default) fixes the deal's draw on chain with drawMediator. */
export async function drawMediatorFor(ctx: DealContext, deal: DealHandle, caller?: HardhatEthersSigner) {
  const by = caller ?? ctx.parties.stranger;
  deal.receipt = await send(ctx.market.connect(by).drawMediator(deal.dealId, deal.terms, deal.instructionCount));
  return deal.receipt;
}

/** The situations a mediator can act in: the draw computed from its block's hash, fixed on chain, or renewed. */
export type DrawSituation = "computed" | "fixed" | "redrawn";

/**
 * Puts a deal in ResultsChecked into a draw situation: "computed" leaves it (the mediator acts within 256 blocks),
 * "fixed" fixes the draw with drawMediator and then lets 3 × 256 blocks pass, "redrawn" lets the draw expire
 * unfixed and draws again (the deal handle then names the new draw).
 */
export async function prepareDraw(ctx: DealContext, deal: DealHandle, situation: DrawSituation): Promise<void> {
  if (situation === "fixed") {
    await drawMediatorFor(ctx, deal);
    await mine(3 * BLOCKHASH_WINDOW);
  } else if (situation === "redrawn") {
    await mine(BLOCKHASH_WINDOW);
    recordDraw(ctx.market, deal, await drawMediatorFor(ctx, deal));
  }
}

/** What `inOneBlock` passes to each transaction. */
export interface BlockOverrides {
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * Mines the transactions `sends` make into one block, in the order given (automine is off meanwhile; priority
 * fees decrease so the block keeps that order; gas is explicit, so nothing is estimated against the pending
 * block). Returns their receipts; a reverted one has status 0 (decode it with `revertDataOf`).
 */
export async function inOneBlock(
  sends: Array<(overrides: BlockOverrides) => Promise<{ hash: string }>>,
): Promise<ContractTransactionReceipt[]> {
  const hashes: string[] = [];
  await network.provider.send("evm_setAutomine", [false]);
  try {
    for (const [i, sendTx] of sends.entries()) {
      const tip = BigInt(sends.length - i) * 10n ** 9n;
      hashes.push(
        (await sendTx({ gasLimit: 3_000_000n, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: tip })).hash,
      );
    }
    await mine();
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  const receipts: ContractTransactionReceipt[] = [];
  for (const hash of hashes) {
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    if (!receipt) throw new Error(`inOneBlock: ${hash} was not mined`);
    receipts.push(receipt as ContractTransactionReceipt);
  }
  if (new Set(receipts.map((r) => r.blockNumber)).size !== 1) throw new Error("inOneBlock: not one block");
  return receipts;
}

/**
 * Sends a transaction under automine with explicit gas, so that it is mined even if it reverts. Returns its
 * receipt and, if it reverted, its revert data (from the node's error: no trace needed).
 */
export async function sendMined(
  sendTx: (overrides: { gasLimit: bigint }) => Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>,
): Promise<{ receipt: ContractTransactionReceipt; revertData?: string }> {
  try {
    const receipt = await (await sendTx({ gasLimit: 3_000_000n })).wait();
    if (!receipt) throw new Error("no receipt");
    return { receipt };
  } catch (e) {
    const error = e as { data?: string; transactionHash?: string };
    if (!error.transactionHash) throw e;
    const receipt = (await ethers.provider.getTransactionReceipt(error.transactionHash)) as ContractTransactionReceipt;
    return { receipt, revertData: error.data ?? (await revertDataOf(error.transactionHash)) };
  }
}

/** The revert data of a mined transaction that failed (status 0). */
export async function revertDataOf(hash: string): Promise<string> {
  const trace = (await network.provider.send("debug_traceTransaction", [
    hash,
    { disableStorage: true, disableMemory: true, disableStack: true },
  ])) as { failed: boolean; returnValue: string };
  if (!trace.failed) throw new Error(`${hash} did not revert`);
  return "0x" + trace.returnValue.replace(/^0x/, "");
}

/** The signer of the drawn mediator of a deal in ResultsChecked. */
export async function mediatorOf(deal: DealHandle): Promise<HardhatEthersSigner> {
  if (deal.mediatorIndex < 0) throw new Error("no mediator drawn yet");
  return signerOf(deal.terms.members.mediators[deal.mediatorIndex]);
}

/**
 * The tokens the market must hold for a deal in `state`, from the rules (not the contract):
 * negotiating: what the agreed parties escrowed; agreed: payment + judge timeout + submit timeout collateral;
 * results submitted: payment + judge timeout + results collateral; checked: payment + mediation fee + results
 * collateral; terminal states: nothing.
 */
export function expectedEscrow(
  state: AgreementState,
  terms: DealTerms,
  instructionCount: bigint,
  agreedBy: number,
): bigint {
  const { pricing, timeouts } = terms;
  const jcEscrow = pricing.paymentCollateral + timeouts.judgeResultsCollateral;
  switch (state) {
    case AgreementState.DealNegotiating:
      return (agreedBy & 1 ? jcEscrow : 0n) + (agreedBy & 2 ? timeouts.submitResultsCollateral : 0n);
    case AgreementState.DealAgreed:
      return jcEscrow + timeouts.submitResultsCollateral;
    case AgreementState.ResultsSubmitted:
      return jcEscrow + resultsCollateral(terms, instructionCount);
    case AgreementState.ResultsChecked:
      return pricing.paymentCollateral + pricing.mediationFee + resultsCollateral(terms, instructionCount);
    default:
      return 0n;
  }
}

/*//////////////////////////////////////////////////////////////
                                TIME
//////////////////////////////////////////////////////////////*/

export async function mined(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

export async function blockTime(receipt: ContractTransactionReceipt): Promise<bigint> {
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  return BigInt(block!.timestamp);
}

/** The timestamp of the latest block. */
export async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** The next transaction is mined at `ts`. */
export async function at(ts: bigint): Promise<void> {
  await time.setNextBlockTimestamp(ts);
}

/** Mines an empty block at `ts` (views then read the chain at `ts`). */
export async function mineAt(ts: bigint): Promise<void> {
  await time.increaseTo(ts);
}
