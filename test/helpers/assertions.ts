/** Chai assertions shared by the contract tests (kept apart from fixtures.ts, which must not need chai). */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse, Interface, TransactionReceipt } from "ethers";

import type { DealMarket } from "../../typechain-types";
import type { DealCreatedEvent } from "../../typechain-types/contracts/DealMarket";
import {
  type AgreementState,
  dealKeyOfTerms,
  paymentsOf,
  revertDataOf,
  type DealTerms,
  type MarketFixture,
  type PaymentTuple,
} from "./fixtures";

/** Expected token balance changes; every account not named must not change. */
export interface Deltas {
  jobCreator?: bigint;
  resourceProvider?: bigint;
  solver?: bigint;
  /** Per mediator of the fixture (index 0..2). */
  mediators?: bigint[];
  stranger?: bigint;
  market?: bigint;
}

/** Checks every fixture account's and the market's token balance change, and that they sum to zero. */
export async function expectDeltas(
  tx: ContractTransactionResponse,
  ctx: MarketFixture<{ getAddress(): Promise<string> }>,
  d: Deltas,
): Promise<void> {
  const accounts = [ctx.jobCreator, ctx.resourceProvider, ctx.solver, ...ctx.mediators, ctx.stranger, ctx.market];
  const mediators = ctx.mediators.map((_, i) => d.mediators?.[i] ?? 0n);
  const deltas = [
    d.jobCreator ?? 0n,
    d.resourceProvider ?? 0n,
    d.solver ?? 0n,
    ...mediators,
    d.stranger ?? 0n,
    d.market ?? 0n,
  ];
  expect(
    deltas.reduce((a, b) => a + b, 0n),
    "expected deltas must conserve tokens",
  ).to.equal(0n);
  await expect(tx).to.changeTokenBalances(ctx.token, accounts, deltas);
}

/** Checks the Payment events of the deal under `dealKey` in the transaction: the same tuples, in any order, none more. */
export async function expectPayments(
  market: DealMarket,
  tx: ContractTransactionResponse,
  dealKey: string,
  expected: PaymentTuple[],
): Promise<void> {
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  const actual = paymentsOf(market, receipt, dealKey);
  expect(actual).to.have.deep.members(expected);
  expect(actual).to.have.lengthOf(expected.length);
  for (const [, amount] of actual) expect(amount, "a Payment must move a non-zero amount").to.be.greaterThan(0n);
}

/** Checks the record stored under `dealKey` (updatedAt defaults to the timestamp of `tx`'s block). */
export async function expectRecord(
  market: DealMarket,
  dealKey: string,
  expected: { state: AgreementState; agreedBy: number; tx?: ContractTransactionResponse; updatedAt?: bigint },
): Promise<void> {
  const record = await market.getDeal(dealKey);
  expect(record.state, "state").to.equal(BigInt(expected.state));
  expect(record.agreedBy, "agreedBy").to.equal(BigInt(expected.agreedBy));
  let updatedAt = expected.updatedAt;
  if (updatedAt === undefined && expected.tx) updatedAt = await blockTimeOf(expected.tx);
  if (updatedAt !== undefined) expect(record.updatedAt, "updatedAt").to.equal(updatedAt);
  expect(await market.getDealState(dealKey)).to.equal(BigInt(expected.state));
}

/** Checks the mediator draw stored under `dealKey` (all zero when there is none). */
export async function expectDraw(
  market: DealMarket,
  dealKey: string,
  expected: { drawBlock: number | bigint; drawn: boolean; mediatorIndex: number },
): Promise<void> {
  const draw = await market.getMediationDraw(dealKey);
  expect(draw.drawBlock, "drawBlock").to.equal(BigInt(expected.drawBlock));
  expect(draw.drawn, "drawn").to.equal(expected.drawn);
  expect(draw.mediatorIndex, "mediatorIndex").to.equal(BigInt(expected.mediatorIndex));
}

/** Checks a mined transaction failed with `error(args)` of `contract` (e.g. one `inOneBlock` mined). */
export async function expectMinedRevert(
  contract: { interface: Interface },
  receipt: TransactionReceipt,
  error: string,
  args: unknown[],
): Promise<void> {
  expect(receipt.status, "the transaction reverted").to.equal(0);
  const parsed = contract.interface.parseError(await revertDataOf(receipt.hash));
  expect(parsed?.name, "custom error").to.equal(error);
  expect([...parsed!.args]).to.deep.equal(args);
}

export async function blockTimeOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** A DealTerms struct as ethers decodes it (a Result: fields by name, the mediators an array-like Result). */
interface DecodedTerms {
  members: Omit<DealTerms["members"], "mediators"> & { mediators: Iterable<string> };
  pricing: DealTerms["pricing"];
  timeouts: DealTerms["timeouts"];
}

/** A withArgs predicate matching a decoded DealTerms struct against the expected terms. */
export function termsEqual(expected: DealTerms): (value: unknown) => boolean {
  return (value: unknown) => {
    const t = value as DecodedTerms;
    const m = expected.members;
    const p = expected.pricing;
    const o = expected.timeouts;
    const sameAddresses = (a: string[], b: string[]) =>
      a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i].toLowerCase());
    return (
      t.members.jobCreator === m.jobCreator &&
      t.members.resourceProvider === m.resourceProvider &&
      t.members.solver === m.solver &&
      sameAddresses([...t.members.mediators], m.mediators) &&
      t.pricing.instructionPrice === p.instructionPrice &&
      t.pricing.paymentCollateral === p.paymentCollateral &&
      t.pricing.resultsCollateralMultiple === p.resultsCollateralMultiple &&
      t.pricing.mediationFee === p.mediationFee &&
      t.timeouts.agree === o.agree &&
      t.timeouts.submitResults === o.submitResults &&
      t.timeouts.judgeResults === o.judgeResults &&
      t.timeouts.mediateResults === o.mediateResults &&
      t.timeouts.agreeCollateral === o.agreeCollateral &&
      t.timeouts.submitResultsCollateral === o.submitResultsCollateral &&
      t.timeouts.judgeResultsCollateral === o.judgeResultsCollateral &&
      t.timeouts.mediateResultsCollateral === o.mediateResultsCollateral
    );
  };
}

/**
 * One-field changes of the terms, each of which must break the commitment (including the fields the market
 * never escrows, and the mediators' order).
 */
export function termMutations(terms: DealTerms, other: string): Array<[string, DealTerms]> {
  const clone = (): DealTerms => ({
    members: { ...terms.members, mediators: [...terms.members.mediators] },
    pricing: { ...terms.pricing },
    timeouts: { ...terms.timeouts },
  });
  const out: Array<[string, DealTerms]> = [];
  const add = (name: string, f: (t: DealTerms) => void) => {
    const t = clone();
    f(t);
    out.push([name, t]);
  };
  add("members.solver", (t) => (t.members.solver = other));
  add("members.mediators (one more)", (t) => t.members.mediators.push(other));
  add("members.mediators (reordered)", (t) => t.members.mediators.reverse());
  for (const key of Object.keys(terms.pricing) as Array<keyof DealTerms["pricing"]>) {
    add(`pricing.${key}`, (t) => (t.pricing[key] += 1n));
  }
  for (const key of Object.keys(terms.timeouts) as Array<keyof DealTerms["timeouts"]>) {
    add(`timeouts.${key}`, (t) => (t.timeouts[key] += 1n));
  }
  return out;
}

/**
 * Checks the transaction emitted exactly one DealCreated with these arguments: the deal key (of `dealId` and
 * the terms' parties) and the two parties indexed, then the deal ID and the rest of the terms flattened
 * (solver, mediators, pricing, timeouts), compared field by field.
 */
export async function expectDealCreated(
  market: DealMarket,
  tx: ContractTransactionResponse,
  dealId: string,
  terms: DealTerms,
): Promise<void> {
  const receipt = await tx.wait();
  const events = receipt!.logs
    .filter((log) => log.address === market.target)
    .map((log) => market.interface.parseLog({ topics: [...log.topics], data: log.data }))
    .filter((e) => e?.name === "DealCreated");
  expect(events).to.have.lengthOf(1);
  // parseLog's Result is untyped; the event's fields, by name, are TypeChain's.
  const args = events[0]!.args as unknown as DealCreatedEvent.OutputObject;
  expect(args.dealKey, "DealCreated dealKey").to.equal(dealKeyOfTerms(dealId, terms));
  expect(args.dealId, "DealCreated dealId").to.equal(dealId);
  const decoded = {
    members: {
      jobCreator: args.jobCreator,
      resourceProvider: args.resourceProvider,
      solver: args.solver,
      mediators: [...args.mediators],
    },
    pricing: args.pricing,
    timeouts: args.timeouts,
  };
  expect(termsEqual(terms)(decoded), "DealCreated terms").to.equal(true);
}
