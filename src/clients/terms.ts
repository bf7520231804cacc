// Deal terms as the DealMarket takes them, the references a client method accepts for a deal, and the
// arithmetic of what each step escrows.

import { isHexString, type BigNumberish, type Result, type TypedDataDomain, type TypedDataField } from "ethers";
import {
  AccordError,
  bytes32ToCid,
  cidToBytes32,
  convertDealMembers,
  convertDealPricing,
  convertDealTimeouts,
  dealKey as computeDealKey,
  getDealId,
  type ConvertAmountOptions,
  type Deal,
  type DealMembersStruct,
  type DealPricingStruct,
  type DealTimeoutsStruct,
} from "../model";

/** The contracts' `DealTerms` struct: what the market hashes, stores a commitment to and logs. */
export type OnChainDealTerms = {
  members: DealMembersStruct;
  pricing: DealPricingStruct;
  timeouts: DealTimeoutsStruct;
};

/**
 * A deal as the chain knows it: its ID (a CID "Qm…" or the bytes32 digest) and its terms. The market keeps it
 * under `dealKey(dealId, terms.members.jobCreator, terms.members.resourceProvider)`: records that share an ID
 * but not parties are different deals.
 */
export type OnChainDeal = {
  dealId: string;
  terms: OnChainDealTerms;
  /** The deal's key; derived from the ID and the parties, and checked against them when given. */
  dealKey?: string;
  /** Known after addResult (the ResultAdded event); looked up on chain when absent. */
  instructionCount?: bigint;
};

/** What a client method accepts for a deal: the data model's Deal (IDs as CIDs) or an on-chain deal. */
export type DealRef = Deal | OnChainDeal;

/**
 * What the reads accept: a deal reference, or the deal's key (bytes32 hex). A deal ID alone (CID) is refused:
 * several records may share it.
 */
export type DealKeyRef = DealRef | string;

/** A deal reference resolved to what the contracts take. */
export type ResolvedDeal = {
  /** bytes32, lower-case hex. */
  dealId: `0x${string}`;
  /** The CIDv0 of the deal ID. */
  dealCid: string;
  /** Where the market keeps the deal: dealKey(dealId, jobCreator, resourceProvider), lower-case hex. */
  dealKey: `0x${string}`;
  terms: OnChainDealTerms;
  instructionCount?: bigint;
};

function isOnChainDeal(ref: DealRef): ref is OnChainDeal {
  return typeof ref === "object" && ref !== null && "terms" in ref && "dealId" in ref;
}

/** A deal ID in any accepted form (CID or bytes32) as the bytes32 the contracts take. */
export function toDealIdBytes32(id: string): `0x${string}` {
  if (isHexString(id, 32)) return id.toLowerCase() as `0x${string}`;
  return cidToBytes32(id);
}

/** Converts the model's deal to the contracts' terms; amounts go through `toWei` (the model's default: etherToWei). */
export function dealToTerms(deal: Deal, options: ConvertAmountOptions = {}): OnChainDealTerms {
  return {
    members: convertDealMembers(deal.members),
    pricing: convertDealPricing(deal.pricing, options),
    timeouts: convertDealTimeouts(deal.timeouts, options),
  };
}

/** The key the market keeps a deal under (lower-case hex): the model's `dealKey` of the ID and the terms' parties. */
export function dealKeyOfTerms(dealId: string, terms: OnChainDealTerms): `0x${string}` {
  return computeDealKey(
    toDealIdBytes32(dealId),
    terms.members.jobCreator,
    terms.members.resourceProvider,
  ).toLowerCase() as `0x${string}`;
}

/**
 * Resolves a deal reference: for a model Deal, dealId = cidToBytes32(deal.id) (the ID is computed with
 * getDealId when `deal.id` is empty) and the terms are converted; an OnChainDeal passes as it is. The key is
 * derived from the ID and the parties; a `dealKey` given on an OnChainDeal must equal it.
 */
export async function resolveDeal(ref: DealRef, options: ConvertAmountOptions = {}): Promise<ResolvedDeal> {
  if (isOnChainDeal(ref)) {
    const dealId = toDealIdBytes32(ref.dealId);
    const dealKey = dealKeyOfTerms(dealId, ref.terms);
    if (ref.dealKey !== undefined && ref.dealKey.toLowerCase() !== dealKey) {
      throw new AccordError(
        `deal key ${ref.dealKey} is not that of deal ${bytes32ToCid(dealId)} between its terms' parties (${dealKey})`,
      );
    }
    return {
      dealId,
      dealCid: bytes32ToCid(dealId),
      dealKey,
      terms: ref.terms,
      instructionCount: ref.instructionCount,
    };
  }
  if (typeof ref !== "object" || ref === null || !("members" in ref)) {
    throw new AccordError("expected a Deal of the data model or { dealId, terms }");
  }
  const id = ref.id !== "" ? ref.id : await getDealId(ref);
  const dealId = cidToBytes32(id);
  const terms = dealToTerms(ref, options);
  return { dealId, dealCid: bytes32ToCid(dealId), dealKey: dealKeyOfTerms(dealId, terms), terms };
}

/**
 * The key of a deal reference, or a key given as bytes32 hex. A CID is refused: a deal ID does not name one
 * record (anyone may create a record with the same ID and other parties).
 */
export async function dealKeyOf(ref: DealKeyRef, options: ConvertAmountOptions = {}): Promise<`0x${string}`> {
  if (typeof ref === "string") {
    if (isHexString(ref, 32)) return ref.toLowerCase() as `0x${string}`;
    throw new AccordError(
      `${ref} is not a deal key (bytes32): a deal ID names every record that shares it; pass the deal (ID and terms) or its key`,
    );
  }
  return (await resolveDeal(ref, options)).dealKey;
}

/** Terms as a decoded event or call gives them: addresses as strings, amounts as any BigNumberish. */
export type DealTermsLike = {
  members: { jobCreator: string; resourceProvider: string; solver: string; mediators: readonly string[] };
  pricing: { [K in keyof DealPricingStruct]: BigNumberish };
  timeouts: { [K in keyof DealTimeoutsStruct]: BigNumberish };
};

/** Terms decoded from an event or a call (an ethers Result) as plain objects. */
export function termsFromResult(terms: Result | DealTermsLike): OnChainDealTerms {
  const { members, pricing, timeouts } = terms as DealTermsLike;
  return {
    members: {
      jobCreator: members.jobCreator as `0x${string}`,
      resourceProvider: members.resourceProvider as `0x${string}`,
      solver: members.solver as `0x${string}`,
      mediators: Array.from(members.mediators) as `0x${string}`[],
    },
    pricing: {
      instructionPrice: BigInt(pricing.instructionPrice),
      paymentCollateral: BigInt(pricing.paymentCollateral),
      resultsCollateralMultiple: BigInt(pricing.resultsCollateralMultiple),
      mediationFee: BigInt(pricing.mediationFee),
    },
    timeouts: {
      agree: BigInt(timeouts.agree),
      submitResults: BigInt(timeouts.submitResults),
      judgeResults: BigInt(timeouts.judgeResults),
      mediateResults: BigInt(timeouts.mediateResults),
      agreeCollateral: BigInt(timeouts.agreeCollateral),
      submitResultsCollateral: BigInt(timeouts.submitResultsCollateral),
      judgeResultsCollateral: BigInt(timeouts.judgeResultsCollateral),
      mediateResultsCollateral: BigInt(timeouts.mediateResultsCollateral),
    },
  };
}

/*//////////////////////////////////////////////////////////////
                           WHAT IS ESCROWED
//////////////////////////////////////////////////////////////*/

/** instructionPrice × instructionCount. */
export function jobCost(terms: OnChainDealTerms, instructionCount: bigint): bigint {
  return terms.pricing.instructionPrice * instructionCount;
}

/** resultsCollateralMultiple × job cost: what the provider escrows with its results. */
export function resultsCollateral(terms: OnChainDealTerms, instructionCount: bigint): bigint {
  return terms.pricing.resultsCollateralMultiple * jobCost(terms, instructionCount);
}

/** What the job creator escrows when it agrees: payment collateral + judge-results timeout collateral. */
export function jobCreatorAgreementCollateral(terms: OnChainDealTerms): bigint {
  return terms.pricing.paymentCollateral + terms.timeouts.judgeResultsCollateral;
}

/** What the resource provider escrows when it agrees: the submit-results timeout collateral. */
export function resourceProviderAgreementCollateral(terms: OnChainDealTerms): bigint {
  return terms.timeouts.submitResultsCollateral;
}

/** What addResult pulls from the provider: results collateral minus its returned submit collateral (≥ 0). */
export function addResultPull(terms: OnChainDealTerms, instructionCount: bigint): bigint {
  const owed = resultsCollateral(terms, instructionCount);
  const due = terms.timeouts.submitResultsCollateral;
  return owed > due ? owed - due : 0n;
}

/** What checkResult pulls from the job creator: mediation fee minus its returned judge collateral (≥ 0). */
export function checkResultPull(terms: OnChainDealTerms): bigint {
  const owed = terms.pricing.mediationFee;
  const due = terms.timeouts.judgeResultsCollateral;
  return owed > due ? owed - due : 0n;
}

/*//////////////////////////////////////////////////////////////
                       THE SIGNED AGREEMENT (EIP-712)
//////////////////////////////////////////////////////////////*/

export const DEAL_MARKET_EIP712_NAME = "Accord DealMarket";
export const DEAL_MARKET_EIP712_VERSION = "1";

/** The EIP-712 types of `Agreement(bytes32 dealId,DealTerms terms,uint256 deadline)`, as in DealHashing.sol. */
export const DEAL_AGREEMENT_TYPES: Record<string, TypedDataField[]> = {
  Agreement: [
    { name: "dealId", type: "bytes32" },
    { name: "terms", type: "DealTerms" },
    { name: "deadline", type: "uint256" },
  ],
  DealTerms: [
    { name: "members", type: "DealMembers" },
    { name: "pricing", type: "DealPricing" },
    { name: "timeouts", type: "DealTimeouts" },
  ],
  DealMembers: [
    { name: "jobCreator", type: "address" },
    { name: "resourceProvider", type: "address" },
    { name: "solver", type: "address" },
    { name: "mediators", type: "address[]" },
  ],
  DealPricing: [
    { name: "instructionPrice", type: "uint256" },
    { name: "paymentCollateral", type: "uint256" },
    { name: "resultsCollateralMultiple", type: "uint256" },
    { name: "mediationFee", type: "uint256" },
  ],
  DealTimeouts: [
    { name: "agree", type: "uint64" },
    { name: "submitResults", type: "uint64" },
    { name: "judgeResults", type: "uint64" },
    { name: "mediateResults", type: "uint64" },
    { name: "agreeCollateral", type: "uint256" },
    { name: "submitResultsCollateral", type: "uint256" },
    { name: "judgeResultsCollateral", type: "uint256" },
    { name: "mediateResultsCollateral", type: "uint256" },
  ],
};

/** The DealMarket's EIP-712 domain on a chain. */
export function dealMarketDomain(chainId: bigint | number, market: string): TypedDataDomain {
  return {
    name: DEAL_MARKET_EIP712_NAME,
    version: DEAL_MARKET_EIP712_VERSION,
    chainId,
    verifyingContract: market,
  };
}

/** Everything a party needs to sign an agreement (and a solver to check it). Usable as a DealRef. */
export type AgreementRequest = {
  dealId: `0x${string}`;
  dealCid: string;
  dealKey: `0x${string}`;
  terms: OnChainDealTerms;
  /** Unix seconds; the last moment the signatures are accepted. */
  deadline: bigint;
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  value: { dealId: string; terms: OnChainDealTerms; deadline: bigint };
};

export function agreementRequest(deal: ResolvedDeal, deadline: bigint, domain: TypedDataDomain): AgreementRequest {
  return {
    dealId: deal.dealId,
    dealCid: deal.dealCid,
    dealKey: deal.dealKey,
    terms: deal.terms,
    deadline,
    domain,
    types: DEAL_AGREEMENT_TYPES,
    value: { dealId: deal.dealId, terms: deal.terms, deadline },
  };
}
