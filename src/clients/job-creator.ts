// The job creator: agrees to deals, judges results (accept, or check → mediation) and claims the timeouts
// of a provider that never delivered.

import type { AllowanceMode, ResultStepOptions } from "./base";
import type { AccordTxResult } from "./events";
import { PartyClient, type PartyRole } from "./party";
import { checkResultPull, type DealRef } from "./terms";

export type CheckResultOptions = ResultStepOptions & {
  /** How the mediation fee (net of the returned judge collateral) is allowed; default the client's mode. */
  allowance?: AllowanceMode;
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
   * mediator drawn. `result.get("MediationRequested")` gives the mediator and its index.
   */
  async checkResult(deal: DealRef, options: CheckResultOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    const approval = await this.ensureAllowance(checkResultPull(resolved.terms), options.allowance);
    const result = await this.send("checkResult", (overrides) =>
      this.market.checkResult(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
    result.approval = approval;
    return result;
  }

  /** The provider did not submit results in time: its submit collateral is slashed to the job creator. */
  async timeoutSubmitResults(deal: DealRef): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    return this.send("timeoutSubmitResults", (overrides) =>
      this.market.timeoutSubmitResults(resolved.dealId, resolved.terms, overrides),
    );
  }
}
