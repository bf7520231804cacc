// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { CloseAuthorization, Merge, Voucher } from "../types/ChannelTypes.sol";

/// @title ChannelHashing
/// @notice The EIP-712 struct hashes of a voucher and of a cooperative close.
library ChannelHashing {
    bytes32 internal constant MERGE_TYPEHASH = keccak256("Merge(uint64 lane,uint64 nonce)");

    bytes32 internal constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(bytes32 channelId,uint64 timeLockMin,uint64 timeLockMax,bytes32 secretHash,address extraTarget,bytes extraData,uint64 lane,uint64 nonce,uint128 amount,uint64 minSettleHeight,Merge[] merges)Merge(uint64 lane,uint64 nonce)"
    );

    bytes32 internal constant CLOSE_TYPEHASH = keccak256(
        "CloseAuthorization(bytes32 channelId,uint128 toSend,uint64 deadline)"
    );

    /// @notice hashStruct(Voucher); the merges are hashed as keccak256 of their concatenated struct hashes.
    function hashVoucher(Voucher calldata v) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    VOUCHER_TYPEHASH,
                    v.channelId,
                    v.timeLockMin,
                    v.timeLockMax,
                    v.secretHash,
                    v.extraTarget,
                    keccak256(v.extraData),
                    v.lane,
                    v.nonce,
                    v.amount,
                    v.minSettleHeight,
                    _hashMerges(v.merges)
                )
            );
    }

    /// @notice hashStruct(CloseAuthorization).
    function hashClose(CloseAuthorization calldata c) internal pure returns (bytes32) {
        return keccak256(abi.encode(CLOSE_TYPEHASH, c.channelId, c.toSend, c.deadline));
    }

    function _hashMerges(Merge[] calldata merges) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](merges.length);
        for (uint256 i = 0; i < merges.length; ++i) {
            hashes[i] = keccak256(abi.encode(MERGE_TYPEHASH, merges[i].lane, merges[i].nonce));
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
