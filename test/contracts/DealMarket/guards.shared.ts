/**
 * Revert-path tests every deal action shares: a missing deal, the wrong state, terms (or fixed values) that do
 * not match the commitment, terms naming other parties (another deal key), and a caller who is not the party
 * the action belongs to. Every error names the deal by its key. Each action's own file adds its deadline
 * boundaries and effects.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  type AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  dealKeyOfTerms,
  deployMarketFixture,
  makeTerms,
  nextDealId,
  passDeadline,
  withTerms,
  type DealHandle,
  type DealTerms,
  type Parties,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { termMutations } from "../../helpers/assertions";

type Role = "jobCreator" | "resourceProvider" | "solver" | "mediator" | "stranger";
type Action = "addResult" | "acceptResult" | "checkResult" | "timeoutSubmitResults" | "timeoutJudgeResults";

export interface GuardSpec {
  action: Action;
  /** The state the action needs. */
  expected: AgreementState;
  wrongStates: AgreementState[];
  /** The party the action belongs to. */
  caller: Exclude<Role, "mediator">;
  unauthorized: Role[];
  /** What follows (dealId, terms) in the call. */
  args: (deal: Pick<DealHandle, "instructionCount">) => unknown[];
  /** Other values for those arguments that break the commitment (e.g. another instruction count). */
  mismatchedArgs?: (deal: DealHandle) => unknown[][];
  /** A timeout claim: each guard test first passes this deadline, so only the guard under test fails. */
  claimAfter?: keyof DealTerms["timeouts"];
}

export function describeDealGuards(spec: GuardSpec): void {
  const setup = () => loadFixture(deployMarketFixture);
  const signer = (ctx: Parties, role: Role) => (role === "mediator" ? ctx.mediators[0] : ctx[role]);
  const call = (
    ctx: Awaited<ReturnType<typeof setup>>,
    role: Role,
    dealId: string,
    terms: DealTerms,
    args: unknown[],
  ) =>
    (ctx.market.connect(signer(ctx, role)) as unknown as Record<Action, (...a: unknown[]) => Promise<unknown>>)[
      spec.action
    ](dealId, terms, ...args);
  const dealIn = async (ctx: Awaited<ReturnType<typeof setup>>, state: AgreementState) => {
    const deal = await createDeal(ctx, state);
    if (spec.claimAfter) await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts[spec.claimAfter]);
    return deal;
  };

  it("reverts with DealMarket_DealNotFound(dealKey) when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    const terms = makeTerms();
    await expect(call(ctx, spec.caller, dealId, terms, spec.args({ instructionCount: DEFAULT_INSTRUCTION_COUNT })))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(dealId, terms));
  });

  it("reverts with DealMarket_DealNotFound(otherKey) when the terms name other parties (another deal key)", async () => {
    const ctx = await setup();
    const deal = await dealIn(ctx, spec.expected);
    const { jobCreator: jc, resourceProvider: rp } = deal.terms.members;
    const others: DealTerms[] = [
      withTerms(deal.terms, { members: { jobCreator: rp, resourceProvider: jc } }),
      withTerms(deal.terms, { members: { jobCreator: ctx.stranger.address } }),
      withTerms(deal.terms, { members: { resourceProvider: ctx.stranger.address } }),
    ];
    for (const other of others) {
      const otherKey = dealKeyOfTerms(deal.dealId, other);
      expect(otherKey).to.not.equal(deal.dealKey);
      await expect(call(ctx, spec.caller, deal.dealId, other, spec.args(deal)))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
        .withArgs(otherKey);
    }
  });

  for (const state of spec.wrongStates) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await dealIn(ctx, state);
      await expect(call(ctx, spec.caller, deal.dealId, deal.terms, spec.args(deal)))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, state, spec.expected);
    });
  }

  const also = spec.mismatchedArgs ? " or the instruction count" : "";
  it(`reverts with DealMarket_TermsMismatch when any term${also} differs`, async () => {
    const ctx = await setup();
    const deal = await dealIn(ctx, spec.expected);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(call(ctx, spec.caller, deal.dealId, mutated, spec.args(deal)), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
    for (const args of spec.mismatchedArgs?.(deal) ?? []) {
      await expect(call(ctx, spec.caller, deal.dealId, deal.terms, args))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
  });

  for (const who of spec.unauthorized) {
    it(`reverts with DealMarket_Unauthorized when the caller is the ${who}`, async () => {
      const ctx = await setup();
      const deal = await dealIn(ctx, spec.expected);
      await expect(call(ctx, who, deal.dealId, deal.terms, spec.args(deal)))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealKey, signer(ctx, who).address);
    });
  }
}
