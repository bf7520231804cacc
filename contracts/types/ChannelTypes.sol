// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Times are block timestamps in seconds: the reference counts epochs (heights); on EVM the 12-hour settle delay
// is a time, so its time locks and `minSettleHeight` are times too. Enum indices are read by the indexer and the
// TypeScript model (src/channels): new members go at the end.

/// @notice Where a channel stands. Open: vouchers update it until `settlingAt` (if set) has passed. Closed:
/// collected after settling, or closed cooperatively; its funds were paid out and its ID is never used again.
enum ChannelStatus {
    None,
    Open,
    Closed
}

/// @notice One payment channel, from a payer to a payee, in one token (address(0): the native coin).
/// @param payer The reference's `from`: funds the channel and signs vouchers.
/// @param settlingAt 0 until someone settles; then the time from which no voucher applies and collect pays out.
/// @param settleDelay Seconds from `settle` to `settlingAt`, chosen at opening.
/// @param payee The reference's `to`: redeems vouchers.
/// @param minSettleHeight The latest `minSettleHeight` of the vouchers applied: `settlingAt` is never earlier.
/// @param status See {ChannelStatus}.
/// @param token The ERC20 the channel holds, or address(0) for the native coin.
/// @param balance What the channel holds (deposits, until paid out).
/// @param toSend What the vouchers applied so far owe the payee (at most `balance` while open); after a close, what
/// was paid to the payee.
struct Channel {
    address payer;
    uint64 settlingAt;
    uint32 settleDelay;
    address payee;
    uint64 minSettleHeight;
    ChannelStatus status;
    address token;
    uint128 balance;
    uint128 toSend;
}

/// @notice A lane's state: the cumulative amount its latest voucher redeemed and that voucher's nonce.
/// @param exists A lane exists once a voucher used it; merges need existing lanes.
struct Lane {
    uint128 redeemed;
    uint64 nonce;
    bool exists;
}

/// @notice A lane a voucher merges: its redeemed amount counts towards the voucher's, its nonce becomes `nonce`.
struct Merge {
    uint64 lane;
    uint64 nonce;
}

/// @notice The reference's signed voucher, signed with EIP-712 by the party that pays by it (the other party
/// submits it).
/// @param channelId The channel it is for; it applies to no other.
/// @param timeLockMin Applies only from this time (0: any time).
/// @param timeLockMax Applies only up to this time (0: no limit).
/// @param secretHash When not zero, the submitter must reveal a secret whose keccak256 this is.
/// @param extraTarget When not zero, `extraTarget.staticcall(extraData)` must succeed and return true.
/// @param extraData The calldata of that call.
/// @param lane The lane the voucher redeems on.
/// @param nonce Must exceed the lane's nonce when the lane exists.
/// @param amount The lane's cumulative amount (not a delta).
/// @param minSettleHeight When not zero, the channel cannot settle before this time.
/// @param merges Lanes whose redeemed amounts this voucher's amount includes.
// Fields in the EIP-712 type's order (the reference's); a voucher only ever lives in calldata, never in storage.
// solhint-disable-next-line gas-struct-packing
struct Voucher {
    bytes32 channelId;
    uint64 timeLockMin;
    uint64 timeLockMax;
    bytes32 secretHash;
    address extraTarget;
    bytes extraData;
    uint64 lane;
    uint64 nonce;
    uint128 amount;
    uint64 minSettleHeight;
    Merge[] merges;
}

/// @notice A cooperative close, signed by both parties: `toSend` to the payee, the rest to the payer, at once.
/// @param deadline The last time it may be submitted.
struct CloseAuthorization {
    bytes32 channelId;
    uint128 toSend;
    uint64 deadline;
}
