// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { DealHashing } from "../libraries/DealHashing.sol";

/// @notice Exposes DealHashing's key and draw formulas so the TypeScript copies are tested against them.
contract DealHashingHarness {
    /// @notice DealHashing.dealKey.
    function dealKey(bytes32 dealId, address jobCreator, address resourceProvider) external pure returns (bytes32) {
        return DealHashing.dealKey(dealId, jobCreator, resourceProvider);
    }

    /// @notice DealHashing.drawIndex.
    function drawIndex(bytes32 blockHash, bytes32 key, uint256 mediatorCount) external pure returns (uint8) {
        return DealHashing.drawIndex(blockHash, key, mediatorCount);
    }
}
