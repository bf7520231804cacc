// The solver: matched the offers into a deal; collects both parties' signatures over the agreement and
// submits them in one transaction, so the deal is created already agreed.

import { verifyTypedData, type Signer } from "ethers";
import { AccordClient, AccordClientError, sameAddress, type PermitSignature } from "./base";
import type { AccordTxResult } from "./events";
import type { PartyRole, SignedAgreement } from "./party";
import {
  agreementRequest,
  dealMarketDomain,
  type AgreementRequest,
  type DealRef,
  type OnChainDealTerms,
  type ResolvedDeal,
} from "./terms";

/**
 * Where a party's signature comes from: a signature made over the same deadline, a SignedAgreement
 * (from JobCreatorClient/ResourceProviderClient.signAgreement), a Signer of the party (signs here), or a
 * function asked with the typed data to sign (e.g. a request to the party's service).
 */
export type AgreementSignatureSource =
  | string
  | SignedAgreement
  | Signer
  | ((request: AgreementRequest) => Promise<string | SignedAgreement> | string | SignedAgreement);

export type CollectSignaturesOptions = {
  jobCreator: AgreementSignatureSource;
  resourceProvider: AgreementSignatureSource;
  /** Unix seconds. Default: that of the SignedAgreements given, else latest block + signatureValidity. */
  deadline?: bigint;
  /** Check each signature locally (ECDSA; a contract party is left to the chain's ERC-1271). Default true. */
  verify?: boolean;
};

export type AgreeWithSignaturesOptions = CollectSignaturesOptions & {
  /** Submit the permits attached to SignedAgreements when the party's allowance is short. Default true. */
  submitPermits?: boolean;
};

/** Both signatures over one `Agreement(dealId, terms, deadline)`, ready for agreeWithSignatures. */
export type CollectedAgreement = {
  dealId: `0x${string}`;
  dealCid: string;
  /** The key the agreement creates the deal under. */
  dealKey: `0x${string}`;
  terms: OnChainDealTerms;
  deadline: bigint;
  jobCreatorSignature: string;
  resourceProviderSignature: string;
  /** Permits the parties attached for their collateral. */
  permits: PermitSignature[];
};

function isSignedAgreement(source: AgreementSignatureSource): source is SignedAgreement {
  return typeof source === "object" && source !== null && "signature" in source && "role" in source;
}

function isSigner(source: AgreementSignatureSource): source is Signer {
  return (
    typeof source === "object" &&
    source !== null &&
    typeof (source as Signer).signTypedData === "function" &&
    typeof (source as Signer).getAddress === "function"
  );
}

const ROLE_NAMES: Record<PartyRole, string> = { jobCreator: "job creator", resourceProvider: "resource provider" };

export class SolverClient extends AccordClient {
  /** The typed data both parties sign for this deal and deadline. */
  async agreementRequest(deal: DealRef, deadline: bigint): Promise<AgreementRequest> {
    const resolved = await this.resolveDeal(deal);
    return agreementRequest(
      resolved,
      deadline,
      dealMarketDomain(await this.getChainId(), await this.market.getAddress()),
    );
  }

  /** Gathers (and by default checks) both parties' signatures over one deadline. */
  async collectSignatures(deal: DealRef, options: CollectSignaturesOptions): Promise<CollectedAgreement> {
    const resolved = await this.resolveDeal(deal);
    const given = [options.jobCreator, options.resourceProvider].filter(isSignedAgreement);
    const deadline = options.deadline ?? given[0]?.deadline ?? (await this.defaultDeadline());
    const request = await this.agreementRequest(resolved, deadline);
    const permits: PermitSignature[] = [];

    const collect = async (role: PartyRole, source: AgreementSignatureSource): Promise<string> => {
      let answer: string | SignedAgreement;
      if (typeof source === "string" || isSignedAgreement(source)) answer = source;
      else if (isSigner(source)) answer = await source.signTypedData(request.domain, request.types, request.value);
      else answer = await source(request);

      let signature: string;
      if (typeof answer === "string") {
        signature = answer;
      } else {
        this.#checkSignedAgreement(resolved, deadline, role, answer);
        signature = answer.signature;
        if (answer.permit) permits.push(answer.permit);
      }
      if (options.verify !== false) await this.#verify(request, role, signature);
      return signature;
    };

    const jobCreatorSignature = await collect("jobCreator", options.jobCreator);
    const resourceProviderSignature = await collect("resourceProvider", options.resourceProvider);
    return {
      dealId: resolved.dealId,
      dealCid: resolved.dealCid,
      dealKey: resolved.dealKey,
      terms: resolved.terms,
      deadline,
      jobCreatorSignature,
      resourceProviderSignature,
      permits,
    };
  }

  /**
   * Creates the deal already agreed, in one transaction carrying both signatures (collected from the
   * sources, or a CollectedAgreement). Permits attached by the parties are submitted first when their
   * allowance is short; they are on `result.permits`.
   */
  async agreeWithSignatures(
    deal: DealRef | CollectedAgreement,
    options?: AgreeWithSignaturesOptions,
  ): Promise<AccordTxResult> {
    let collected: CollectedAgreement;
    if ("jobCreatorSignature" in deal) {
      collected = deal;
    } else {
      if (!options)
        throw new AccordClientError("INVALID_ARGUMENT", "agreeWithSignatures needs the parties' signature sources");
      collected = await this.collectSignatures(deal, options);
    }
    const permitResults: AccordTxResult[] = [];
    if (options?.submitPermits !== false) {
      const token = await this.getToken();
      for (const permit of collected.permits) {
        const allowance = await token.allowance(permit.owner, permit.spender);
        if (allowance < permit.value) permitResults.push(await this.submitPermit(permit));
      }
    }
    const result = await this.send("agreeWithSignatures", (overrides) =>
      this.market.agreeWithSignatures(
        collected.dealId,
        collected.terms,
        collected.deadline,
        collected.jobCreatorSignature,
        collected.resourceProviderSignature,
        overrides,
      ),
    );
    result.permits = permitResults;
    return result;
  }

  /**
   * Checks one party's signature over `Agreement(dealId, terms, deadline)` (ECDSA; a contract party is left to the
   * chain's ERC-1271); throws AccordClientError BAD_SIGNATURE naming the party.
   */
  async verifySignature(deal: DealRef, role: PartyRole, deadline: bigint, signature: string): Promise<void> {
    await this.#verify(await this.agreementRequest(deal, deadline), role, signature);
  }

  #checkSignedAgreement(deal: ResolvedDeal, deadline: bigint, role: PartyRole, signed: SignedAgreement): void {
    if (signed.role !== role) {
      throw new AccordClientError(
        "BAD_SIGNATURE",
        `the ${ROLE_NAMES[role]}'s agreement was signed as ${ROLE_NAMES[signed.role]}`,
      );
    }
    if (signed.dealId.toLowerCase() !== deal.dealId) {
      throw new AccordClientError(
        "BAD_SIGNATURE",
        `the ${ROLE_NAMES[role]} signed deal ${signed.dealCid}, not ${deal.dealCid}`,
      );
    }
    if (signed.dealKey.toLowerCase() !== deal.dealKey) {
      throw new AccordClientError(
        "BAD_SIGNATURE",
        `the ${ROLE_NAMES[role]} signed deal ${signed.dealCid} between other parties (key ${signed.dealKey})`,
      );
    }
    if (signed.deadline !== deadline) {
      throw new AccordClientError(
        "BAD_SIGNATURE",
        `the ${ROLE_NAMES[role]} signed with deadline ${signed.deadline}, the agreement's is ${deadline}`,
      );
    }
  }

  async #verify(request: AgreementRequest, role: PartyRole, signature: string): Promise<void> {
    const party = request.terms.members[role];
    let recovered: string | undefined;
    try {
      recovered = verifyTypedData(request.domain, request.types, request.value, signature);
    } catch {
      recovered = undefined;
    }
    if (recovered && sameAddress(recovered, party)) return;
    // A contract party signs with ERC-1271, which only the chain can check.
    if ((await this.provider.getCode(party)) !== "0x") return;
    throw new AccordClientError(
      "BAD_SIGNATURE",
      `the ${ROLE_NAMES[role]}'s signature is not by ${party}${recovered ? ` (it recovers to ${recovered})` : ""}`,
    );
  }
}
