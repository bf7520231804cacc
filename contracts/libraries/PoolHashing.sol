// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Reservation } from "../types/PoolTypes.sol";

/// @title PoolHashing
/// @notice The EIP-712 struct hash of a capacity reservation.
library PoolHashing {
    bytes32 internal constant RESERVATION_TYPEHASH = keccak256(
        "Reservation(bytes32 poolId,address customer,address sponsor,bytes32 farmId,uint64 cus,uint64 sus,uint64 ipv4us,bytes32[] nodeIds,uint32 graceSeconds,uint256 maxCost,uint256 nonce,uint256 deadline)"
    );

    /// @notice hashStruct(Reservation); a bytes32[] is hashed as keccak256 of its concatenated elements.
    function hashReservation(Reservation calldata r) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    RESERVATION_TYPEHASH,
                    r.poolId,
                    r.customer,
                    r.sponsor,
                    r.farmId,
                    r.cus,
                    r.sus,
                    r.ipv4us,
                    keccak256(abi.encodePacked(r.nodeIds)),
                    r.graceSeconds,
                    r.maxCost,
                    r.nonce,
                    r.deadline
                )
            );
    }
}
