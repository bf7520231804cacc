// The job creator: agrees to deals, judges results (accept, or check → mediation) and claims the timeouts
// of a provider that never delivered.

import { AccordClientError, type AllowanceMode, type ResultStepOptions } from "./base";
import { drawnMediatorOf, type AccordTxResult, type DrawnMediator } from "./events";
import { PartyClient, type PartyRole } from "./party";
import { checkResultPull, type DealRef } from "./terms";

export type CheckResultOptions = ResultStepOptions & {
  /** How the mediation fee (net of the returned judge collateral) is allowed; default the client's mode. */
  allowance?: AllowanceMode;
};

/**
 * checkResult's transaction, with its draw: the block whose hash draws the mediator (this transaction's) and,
 * worked out from that hash now that the block exists, the mediator drawn.
 */
export type CheckResultTxResult = AccordTxResult &
  DrawnMediator & {
    dealKey: string;
    drawBlock: number;
    drawBlockHash: string;
  };

export class JobCreatorClient extends PartyClient {
  protected readonly role: PartyRole = "jobCreator";

  /**
   * Accepts the results: the provider is paid min(job cost, payment collateral) and gets its results
   * collateral back; the job creator gets the rest of its escrow back.
   */
  async acceptResult(deal: DealRef, options: ResultStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("acceptResult", (overrides) =>
      this.market.acceptResult(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }

  /**
   * Disputes the results: escrows the mediation fee (minus the judge collateral returned) and has a
   * mediator drawn from the hash of this transaction's block, which nobody (this job creator included) knew
   * when it was sent. The result carries the draw block, its hash and the mediator it draws.
   */
  async checkResult(deal: DealRef, options: CheckResultOptions = {}): Promise<CheckResultTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    const approval = await this.ensureAllowance(checkResultPull(resolved.terms), options.allowance);
    const result = await this.send("checkResult", (overrides) =>
      this.market.checkResult(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
    result.approval = approval;
    const request = result.filter("MediationRequested").find((event) => event.args.dealKey === resolved.dealKey);
    if (!request) {
      throw new AccordClientError("NOT_FOUND", `checkResult: transaction ${result.hash} logged no MediationRequested`);
    }
    return Object.assign(result, {
      dealKey: resolved.dealKey,
      drawBlock: Number(request.args.drawBlock),
      drawBlockHash: request.blockHash,
      ...drawnMediatorOf(request, resolved.terms),
    });
  }

  /** The provider did not submit results in time: its submit collateral is slashed to the job creator. */
  async timeoutSubmitResults(deal: DealRef): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    return this.send("timeoutSubmitResults", (overrides) =>
      this.market.timeoutSubmitResults(resolved.dealId, resolved.terms, overrides),
    );
  }
}
