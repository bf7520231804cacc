// The resource provider: agrees to deals, submits results, and claims the judge timeout of a silent job
// creator.

import { isHexString } from "ethers";
import { cidToBytes32, type Result } from "../model";
import { AccordClientError, type AllowanceMode, type ResultStepOptions } from "./base";
import type { AccordTxResult } from "./events";
import { PartyClient, type PartyRole } from "./party";
import { addResultPull, type DealRef } from "./terms";

/** The results to submit: the model's Result, or its two on-chain fields. */
export type ResultInputRef =
  | (Pick<Result, "results_id" | "instruction_count"> & Partial<Pick<Result, "deal_id">>)
  | {
      /** The results' CID ("Qm…") or its bytes32 digest. */
      resultsId: string;
      instructionCount: bigint | number;
    };

export type AddResultOptions = {
  /** How the results collateral (net of the returned submit collateral) is allowed; default the client's mode. */
  allowance?: AllowanceMode;
};

function resultFields(result: ResultInputRef): { resultsId: string; instructionCount: bigint; dealId?: string } {
  if ("results_id" in result) {
    return {
      resultsId: result.results_id,
      instructionCount: BigInt(result.instruction_count),
      dealId: result.deal_id || undefined,
    };
  }
  return { resultsId: result.resultsId, instructionCount: BigInt(result.instructionCount) };
}

export class ResourceProviderClient extends PartyClient {
  protected readonly role: PartyRole = "resourceProvider";

  /**
   * Submits the results (resultsId = cidToBytes32(results_id)) before the submit deadline, escrowing the
   * results collateral (resultsCollateralMultiple × job cost) minus the submit collateral it gets back.
   */
  async addResult(deal: DealRef, result: ResultInputRef, options: AddResultOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const fields = resultFields(result);
    if (fields.dealId !== undefined) {
      const resultDeal = isHexString(fields.dealId, 32) ? fields.dealId.toLowerCase() : cidToBytes32(fields.dealId);
      if (resultDeal !== resolved.dealId) {
        throw new AccordClientError(
          "INVALID_ARGUMENT",
          `the result is for deal ${fields.dealId}, not ${resolved.dealCid}`,
        );
      }
    }
    if (fields.instructionCount < 0n || fields.instructionCount >= 1n << 64n) {
      throw new AccordClientError("INVALID_ARGUMENT", `instruction count ${fields.instructionCount} is not a uint64`);
    }
    const resultsId = isHexString(fields.resultsId, 32)
      ? fields.resultsId.toLowerCase()
      : cidToBytes32(fields.resultsId);
    const approval = await this.ensureAllowance(
      addResultPull(resolved.terms, fields.instructionCount),
      options.allowance,
    );
    const sent = await this.send("addResult", (overrides) =>
      this.market.addResult(resolved.dealId, resolved.terms, resultsId, fields.instructionCount, overrides),
    );
    sent.approval = approval;
    return sent;
  }

  /** The job creator neither accepted nor checked in time: silence is acceptance, and its judge collateral is ours. */
  async timeoutJudgeResults(deal: DealRef, options: ResultStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("timeoutJudgeResults", (overrides) =>
      this.market.timeoutJudgeResults(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }
}
