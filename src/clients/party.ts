// What the two parties of a deal share: agreeing (two-step, or by signing for a solver) and the timeouts
// either may claim.

import {
  AccordClient,
  AccordClientError,
  sameAddress,
  type AllowanceMode,
  type MediationStepOptions,
  type PermitSignature,
} from "./base";
import type { AccordTxResult } from "./events";
import {
  agreementRequest,
  dealMarketDomain,
  jobCreatorAgreementCollateral,
  resourceProviderAgreementCollateral,
  type AgreementRequest,
  type DealRef,
  type OnChainDealTerms,
  type ResolvedDeal,
} from "./terms";

export type PartyRole = "jobCreator" | "resourceProvider";

/** One party's signature over `Agreement(dealId, terms, deadline)`, for a solver to submit. */
export type SignedAgreement = {
  dealId: `0x${string}`;
  dealCid: string;
  /** The key the agreement creates the deal under. */
  dealKey: `0x${string}`;
  terms: OnChainDealTerms;
  deadline: bigint;
  role: PartyRole;
  signer: string;
  signature: string;
  /** With allowance "permit": a permit for the party's agreement collateral, for the solver to submit. */
  permit?: PermitSignature;
  /** The approval the party sent for its collateral, if one was needed. */
  approval?: AccordTxResult;
};

export type AgreeOptions = {
  /** How the collateral is allowed; default the client's mode ("exact"). */
  allowance?: AllowanceMode;
};

export type SignAgreementOptions = AgreeOptions & {
  /** Unix seconds; default latest block + signatureValidity (3600 s). */
  deadline?: bigint;
};

export abstract class PartyClient extends AccordClient {
  /** Which member of the terms this client's signer must be. */
  protected abstract readonly role: PartyRole;

  /** The collateral the party escrows when it agrees. */
  agreementCollateral(terms: OnChainDealTerms): bigint {
    return this.role === "jobCreator"
      ? jobCreatorAgreementCollateral(terms)
      : resourceProviderAgreementCollateral(terms);
  }

  /** Throws AccordClientError NOT_A_PARTY unless the signer is this role's member of the deal. */
  protected async requireParty(deal: ResolvedDeal): Promise<string> {
    const me = await this.getAddress();
    const party = deal.terms.members[this.role];
    if (!sameAddress(me, party)) {
      throw new AccordClientError(
        "NOT_A_PARTY",
        `${me} is not the ${this.role === "jobCreator" ? "job creator" : "resource provider"} of deal ${deal.dealCid} (${party})`,
      );
    }
    return me;
  }

  /**
   * Agrees on the two-step path: ensures the allowance for this party's collateral, then calls
   * `agree`. The first party's call creates the deal (DealNegotiating), the second's moves it to DealAgreed.
   * The result's `approval` is the allowance transaction, if one was sent.
   */
  async agree(deal: DealRef, options: AgreeOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    await this.requireParty(resolved);
    const approval = await this.ensureAllowance(this.agreementCollateral(resolved.terms), options.allowance);
    const result = await this.send("agree", (overrides) =>
      this.market.agree(resolved.dealId, resolved.terms, overrides),
    );
    result.approval = approval;
    return result;
  }

  /** The typed data this party signs (domain, types and value) for a deadline. */
  async agreementRequest(deal: DealRef, deadline: bigint): Promise<AgreementRequest> {
    const resolved = await this.resolveDeal(deal);
    const domain = dealMarketDomain(await this.getChainId(), await this.market.getAddress());
    return agreementRequest(resolved, deadline, domain);
  }

  /**
   * Signs the agreement for a solver's `agreeWithSignatures`, and prepares the collateral: with allowance
   * "exact"/"unlimited" it approves now (when short), with "permit" it attaches a permit the solver
   * submits, with "none" it leaves the allowance to the caller.
   *
   * Both parties must sign the same deadline: pass `deadline`, or let the solver choose it (a function
   * source of SolverClient.agreeWithSignatures receives an AgreementRequest, itself a valid `deal` here).
   * The allowance is checked now; with several signed agreements pending, approve their total yourself.
   */
  async signAgreement(deal: DealRef, options: SignAgreementOptions = {}): Promise<SignedAgreement> {
    const resolved = await this.resolveDeal(deal);
    const signer = await this.requireParty(resolved);
    const deadline = options.deadline ?? (await this.defaultDeadline());
    const request = await this.agreementRequest(resolved, deadline);
    const signature = await this.signer.signTypedData(request.domain, request.types, request.value);
    const signed: SignedAgreement = {
      dealId: resolved.dealId,
      dealCid: resolved.dealCid,
      dealKey: resolved.dealKey,
      terms: resolved.terms,
      deadline,
      role: this.role,
      signer,
      signature,
    };
    const mode = options.allowance ?? this.allowanceMode;
    const amount = this.agreementCollateral(resolved.terms);
    if (mode === "permit") {
      if (amount > 0n && (await this.allowance()) < amount) signed.permit = await this.signPermit(amount, { deadline });
    } else {
      signed.approval = await this.ensureAllowance(amount, mode);
    }
    return signed;
  }

  /**
   * Agrees in one transaction as the submitting party, with only the counterparty's signature (the
   * market takes this party's own transaction as its consent; its signature slot is left empty). The
   * deadline is the one the counterparty signed. Ensures this party's allowance, and submits a permit
   * the counterparty attached if its allowance is short.
   */
  async agreeWithSignature(
    deal: DealRef,
    counterparty: SignedAgreement | { signature: string; deadline: bigint },
    options: AgreeOptions = {},
  ): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    await this.requireParty(resolved);
    if ("role" in counterparty) {
      if (counterparty.role === this.role) {
        throw new AccordClientError("BAD_SIGNATURE", "the counterparty's agreement was signed in this party's role");
      }
      if (counterparty.dealId.toLowerCase() !== resolved.dealId) {
        throw new AccordClientError(
          "BAD_SIGNATURE",
          `the counterparty signed deal ${counterparty.dealCid}, not ${resolved.dealCid}`,
        );
      }
      if (counterparty.dealKey.toLowerCase() !== resolved.dealKey) {
        throw new AccordClientError(
          "BAD_SIGNATURE",
          `the counterparty signed deal ${counterparty.dealCid} between other parties (key ${counterparty.dealKey})`,
        );
      }
    }
    const approval = await this.ensureAllowance(this.agreementCollateral(resolved.terms), options.allowance);
    const permits: AccordTxResult[] = [];
    if ("permit" in counterparty && counterparty.permit) {
      const { permit } = counterparty;
      const token = await this.getToken();
      if ((await token.allowance(permit.owner, permit.spender)) < permit.value)
        permits.push(await this.submitPermit(permit));
    }
    const own = "0x";
    const [jobCreatorSignature, resourceProviderSignature] =
      this.role === "jobCreator" ? [own, counterparty.signature] : [counterparty.signature, own];
    const result = await this.send("agreeWithSignatures", (overrides) =>
      this.market.agreeWithSignatures(
        resolved.dealId,
        resolved.terms,
        counterparty.deadline,
        jobCreatorSignature,
        resourceProviderSignature,
        overrides,
      ),
    );
    result.approval = approval;
    result.permits = permits;
    return result;
  }

  /**
   * The other party did not agree before the agree deadline: takes back this party's escrow. Only the
   * party that agreed may call it (DealMarket_Unauthorized otherwise).
   */
  async timeoutAgree(deal: DealRef): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    return this.send("timeoutAgree", (overrides) =>
      this.market.timeoutAgree(resolved.dealId, resolved.terms, overrides),
    );
  }

  /**
   * The mediator did not decide in time: everyone gets its escrow back. Claimable whoever was drawn and
   * whether or not the draw was fixed.
   */
  async timeoutMediateResults(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("timeoutMediateResults", (overrides) =>
      this.market.timeoutMediateResults(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }
}
