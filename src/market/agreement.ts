// The EIP-712 agreement both parties sign for DealMarket.agreeWithSignatures. Mirrors
// contracts/libraries/DealHashing.sol; a test checks the digest against the contract's agreementDigest.
import type { TypedDataDomain, TypedDataField } from "ethers";

export const AGREEMENT_DOMAIN_NAME = "Accord DealMarket";
export const AGREEMENT_DOMAIN_VERSION = "1";

export const AGREEMENT_TYPES: Record<string, TypedDataField[]> = {
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

/** The on-chain DealTerms struct (amounts in the token's smallest unit). */
export interface DealTermsStruct {
  members: { jobCreator: string; resourceProvider: string; solver: string; mediators: string[] };
  pricing: {
    instructionPrice: bigint;
    paymentCollateral: bigint;
    resultsCollateralMultiple: bigint;
    mediationFee: bigint;
  };
  timeouts: {
    agree: bigint;
    submitResults: bigint;
    judgeResults: bigint;
    mediateResults: bigint;
    agreeCollateral: bigint;
    submitResultsCollateral: bigint;
    judgeResultsCollateral: bigint;
    mediateResultsCollateral: bigint;
  };
}

export function agreementDomain(chainId: bigint | number, market: string): TypedDataDomain {
  return { name: AGREEMENT_DOMAIN_NAME, version: AGREEMENT_DOMAIN_VERSION, chainId, verifyingContract: market };
}

/** The typed-data value a party signs. */
export function agreementValue(dealId: string, terms: DealTermsStruct, deadline: bigint) {
  return { dealId, terms, deadline };
}
