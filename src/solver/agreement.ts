// What the solver needs of the chain to close a proposal: check each party's signature over the deal's EIP-712
// Agreement when it arrives (a bad one is refused at once, not found out when the transaction reverts), submit both
// in one agreeWithSignatures, and, after a restart, find out whether a submission it did not record went through.

import { AccordClientError } from "../clients/base";
import { AccordContractError } from "../clients/errors";
import type { PartyRole } from "../clients/party";
import type { SolverClient } from "../clients/solver";
import { AccordError } from "../model/errors";
import type { Deal } from "../model/types";

/** Both parties' signatures over one deadline. */
export interface AgreementSignatures {
  jobCreator: string;
  resourceProvider: string;
}

export interface SubmittedAgreement {
  /** The key the market keeps the deal under. */
  dealKey: string;
  txHash: string;
}

/**
 * The submission failed. `permanent`: the market refused it (a revert: a party's allowance or balance short, the
 * deadline passed, the deal exists), so sending it again cannot help; otherwise (the node unreachable, a timeout)
 * it may be retried.
 */
export class AgreementSubmitError extends AccordError {
  override name = "AgreementSubmitError";
  constructor(
    message: string,
    readonly permanent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** A signature that is not the party's over the proposal's agreement. */
export class AgreementSignatureError extends AccordError {
  override name = "AgreementSignatureError";
}

export interface AgreementChain {
  /** Throws AgreementSignatureError unless `signature` is `role`'s over Agreement(deal, deadline). */
  verify(deal: Deal, role: PartyRole, deadline: bigint, signature: string): Promise<void>;
  /** agreeWithSignatures; throws AgreementSubmitError. */
  submit(deal: Deal, deadline: bigint, signatures: AgreementSignatures): Promise<SubmittedAgreement>;
  /** The deal's key, and whether the market holds the deal already. */
  lookup(deal: Deal): Promise<{ dealKey: string; exists: boolean }>;
  /** The latest block's timestamp (unix seconds): the clock the agreement deadlines are checked by. */
  time(): Promise<bigint>;
}

/** The AgreementChain of a SolverClient (its signer pays for the submissions). */
export class ClientAgreementChain implements AgreementChain {
  constructor(private readonly client: SolverClient) {}

  async verify(deal: Deal, role: PartyRole, deadline: bigint, signature: string): Promise<void> {
    try {
      await this.client.verifySignature(deal, role, deadline, signature);
    } catch (error) {
      if (error instanceof AccordClientError && error.code === "BAD_SIGNATURE") {
        throw new AgreementSignatureError(error.message, { cause: error });
      }
      throw error;
    }
  }

  async submit(deal: Deal, deadline: bigint, signatures: AgreementSignatures): Promise<SubmittedAgreement> {
    try {
      const result = await this.client.agreeWithSignatures(deal, {
        jobCreator: signatures.jobCreator,
        resourceProvider: signatures.resourceProvider,
        deadline,
        verify: false,
      });
      return { dealKey: await this.client.dealKey(deal), txHash: result.hash };
    } catch (error) {
      const permanent = error instanceof AccordContractError;
      throw new AgreementSubmitError(
        `agreeWithSignatures for deal ${deal.id} failed: ${(error as Error).message}`,
        permanent,
        { cause: error },
      );
    }
  }

  time(): Promise<bigint> {
    return this.client.latestTimestamp();
  }

  async lookup(deal: Deal): Promise<{ dealKey: string; exists: boolean }> {
    const record = await this.client.getDealRecord(deal);
    return { dealKey: record.dealKey, exists: record.exists };
  }
}
