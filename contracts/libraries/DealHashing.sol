// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { DealMembers, DealTerms } from "../types/DataTypes.sol";

/// @title DealHashing
/// @notice EIP-712 struct hashes of deal terms. One hash serves both the signed agreement (wallets show the
/// fields) and the storage commitment, so the terms are hashed once per call.
library DealHashing {
    bytes internal constant MEMBERS_TYPE =
        "DealMembers(address jobCreator,address resourceProvider,address solver,address[] mediators)";
    bytes internal constant PRICING_TYPE =
        "DealPricing(uint256 instructionPrice,uint256 paymentCollateral,uint256 resultsCollateralMultiple,uint256 mediationFee)";
    bytes internal constant TIMEOUTS_TYPE =
        "DealTimeouts(uint64 agree,uint64 submitResults,uint64 judgeResults,uint64 mediateResults,uint256 agreeCollateral,uint256 submitResultsCollateral,uint256 judgeResultsCollateral,uint256 mediateResultsCollateral)";
    bytes internal constant TERMS_TYPE = "DealTerms(DealMembers members,DealPricing pricing,DealTimeouts timeouts)";

    bytes32 internal constant MEMBERS_TYPEHASH = keccak256(MEMBERS_TYPE);
    bytes32 internal constant PRICING_TYPEHASH = keccak256(PRICING_TYPE);
    bytes32 internal constant TIMEOUTS_TYPEHASH = keccak256(TIMEOUTS_TYPE);
    // EIP-712 encodeType: the primary type, then every referenced type sorted by name.
    bytes32 internal constant TERMS_TYPEHASH = keccak256(
        abi.encodePacked(TERMS_TYPE, MEMBERS_TYPE, PRICING_TYPE, TIMEOUTS_TYPE)
    );
    bytes32 internal constant AGREEMENT_TYPEHASH = keccak256(
        abi.encodePacked(
            "Agreement(bytes32 dealId,DealTerms terms,uint256 deadline)",
            MEMBERS_TYPE,
            PRICING_TYPE,
            TERMS_TYPE,
            TIMEOUTS_TYPE
        )
    );

    /// @notice hashStruct(DealTerms).
    function hashTerms(DealTerms calldata terms) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    TERMS_TYPEHASH,
                    hashMembers(terms.members),
                    keccak256(abi.encode(PRICING_TYPEHASH, terms.pricing)),
                    keccak256(abi.encode(TIMEOUTS_TYPEHASH, terms.timeouts))
                )
            );
    }

    /// @notice hashStruct(DealMembers); an address[] is hashed as keccak256 of its 32-byte-padded elements.
    function hashMembers(DealMembers calldata members) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    MEMBERS_TYPEHASH,
                    members.jobCreator,
                    members.resourceProvider,
                    members.solver,
                    keccak256(abi.encodePacked(members.mediators))
                )
            );
    }

    /// @notice hashStruct(Agreement) for the one-transaction agreement path.
    function hashAgreement(bytes32 dealId, bytes32 termsHash, uint256 deadline) internal pure returns (bytes32) {
        return keccak256(abi.encode(AGREEMENT_TYPEHASH, dealId, termsHash, deadline));
    }

    /// @notice The key a deal is stored under: its ID together with its two parties. Only the parties (in
    /// person or by their signatures) can create a record under a key that names them, so nobody can squat the
    /// ID a pending signed agreement will use; records that share an ID but not parties never meet.
    /// @dev Every action derives it, so it is hashed in place past the free memory pointer (nothing is
    /// allocated): the same 96 bytes as abi.encode(dealId, jobCreator, resourceProvider), addresses cleaned.
    function dealKey(bytes32 dealId, address jobCreator, address resourceProvider) internal pure returns (bytes32 key) {
        // Assembly on purpose (a 96-byte hash on every action, see the @dev above):
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let addressMask := sub(shl(160, 1), 1)
            let p := mload(0x40)
            mstore(p, dealId)
            mstore(add(p, 0x20), and(jobCreator, addressMask))
            mstore(add(p, 0x40), and(resourceProvider, addressMask))
            key := keccak256(p, 0x60)
        }
    }

    /// @notice The stored commitment: the terms plus the instruction count once `addResult` fixed it (0 before).
    /// @dev 200 bits leave room for the state and its timestamp in the same slot; finding two terms with the
    /// same commitment takes ~2^100 hashes.
    function commitment(bytes32 termsHash, uint64 instructionCount) internal pure returns (bytes25) {
        return bytes25(keccak256(abi.encode(termsHash, instructionCount)));
    }

    /// @notice The index of the mediator drawn for a deal from the hash of its draw block.
    function drawIndex(bytes32 blockHash, bytes32 key, uint256 mediatorCount) internal pure returns (uint8) {
        return uint8(uint256(keccak256(abi.encode(blockHash, key))) % mediatorCount);
    }
}
