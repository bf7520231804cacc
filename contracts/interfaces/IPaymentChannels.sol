// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Channel, CloseAuthorization, Lane, Voucher } from "../types/ChannelTypes.sol";

/// @title IPaymentChannels
/// @notice Payment channels on chain: a payer locks funds for a payee and pays off chain by signing vouchers, the
/// payee redeems its best vouchers when it likes, and after a settle delay the channel pays out what the vouchers
/// owe (`toSend`) to the payee and the rest to the payer. Many channels live here, in any ERC20 or the native coin.
/// @dev The reference's payment-channel actor on EVM, with its update rules in its order (see
/// `updateChannelState`). Times (time locks, `minSettleHeight`, `settlingAt`) are block timestamps in seconds.
///
/// Channel IDs are `keccak256(abi.encode(payer, salt))` and never reused: a closed channel keeps its record, so
/// a voucher signed for one channel applies to no other. Vouchers and closes are EIP-712 messages under this
/// contract's domain (chain ID and address), so none replays on another chain or contract. Signatures are ECDSA,
/// or ERC-1271 for contract wallets.
///
/// Funds: a channel holds exactly its `balance`; the contract holds, per token, the sum of its channels'
/// balances plus the deferred payouts. A payout whose transfer fails (a reverting or blacklisted recipient) is
/// kept for the recipient to `withdraw` and blocks nobody. There is no admin. Fee-on-transfer and rebasing
/// tokens are not supported.
///
/// Bounds: a voucher merges at most MAX_MERGES lanes and reveals a secret of at most MAX_SECRET_BYTES; lane IDs
/// are at most MAX_LANE. No function loops over anything else.
interface IPaymentChannels {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A payer opened a channel to a payee.
    /// @param token The ERC20, or address(0) for the native coin.
    /// @param amount The opening deposit.
    /// @param settleDelay Seconds from `settle` until the channel can be collected.
    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        address token,
        uint256 amount,
        uint32 settleDelay
    );

    /// @notice Someone added funds to a channel.
    /// @param balance The channel's balance after the deposit.
    event ChannelFunded(bytes32 indexed channelId, address indexed funder, uint256 amount, uint256 balance);

    /// @notice A voucher was applied.
    /// @param submitter The party that submitted it (the other party signed it).
    /// @param digest The voucher's EIP-712 digest.
    /// @param nonce The lane's nonce now.
    /// @param amount The lane's redeemed amount now (the voucher's cumulative amount).
    /// @param toSend What the channel owes the payee now.
    /// @param settlingAt The channel's `settlingAt` now (a voucher's `minSettleHeight` can delay it).
    /// @param minSettleHeight The channel's `minSettleHeight` now.
    event VoucherRedeemed(
        bytes32 indexed channelId,
        uint64 indexed lane,
        address indexed submitter,
        bytes32 digest,
        uint64 nonce,
        uint128 amount,
        uint128 toSend,
        uint64 settlingAt,
        uint64 minSettleHeight
    );

    /// @notice A voucher merged `lane` into `intoLane`: the lane's nonce is now `nonce`.
    event LaneMerged(bytes32 indexed channelId, uint64 indexed lane, uint64 intoLane, uint64 nonce);

    /// @notice A party started settling the channel: from `settlingAt` no voucher applies and collect pays out.
    event SettleStarted(bytes32 indexed channelId, address indexed by, uint64 settlingAt);

    /// @notice A settled channel paid out: `toPayee` to the payee, `toPayer` to the payer.
    event ChannelCollected(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 toPayee,
        uint256 toPayer
    );

    /// @notice Both parties closed the channel at once: `toPayee` to the payee, `toPayer` to the payer.
    event ChannelClosed(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 toPayee,
        uint256 toPayer
    );

    /// @notice A payout's transfer failed; the amount waits for `account` to withdraw it.
    event PayoutDeferred(address indexed token, address indexed account, uint256 amount);

    /// @notice `account` withdrew its deferred payouts of `token` to `to`.
    event Withdrawn(address indexed token, address indexed account, address to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The settle delay of a channel opened with `settleDelay = 0`: 12 hours, as in the reference.
    function DEFAULT_SETTLE_DELAY() external view returns (uint32);

    /// @notice The shortest settle delay a channel may choose: 1 hour, time for the payee to redeem.
    function MIN_SETTLE_DELAY() external view returns (uint32);

    /// @notice The longest settle delay a channel may choose: 30 days.
    function MAX_SETTLE_DELAY() external view returns (uint32);

    /// @notice The longest secret a voucher may need: 256 bytes, as in the reference.
    function MAX_SECRET_BYTES() external view returns (uint256);

    /// @notice The most lanes one voucher may merge: 16.
    function MAX_MERGES() external view returns (uint256);

    /// @notice The largest lane ID: 2^63 − 1, the reference's bound.
    function MAX_LANE() external view returns (uint64);

    /// @notice The most gas a native-coin payout forwards; a recipient that needs more withdraws instead.
    function NATIVE_PAYOUT_GAS() external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The ID of the channel `payer` opens with `salt`.
    function channelIdOf(address payer, bytes32 salt) external pure returns (bytes32);

    /// @notice A channel as stored (status None when it does not exist).
    function getChannel(bytes32 channelId) external view returns (Channel memory);

    /// @notice A lane of a channel as stored (`exists` false when no voucher used it).
    function getLane(bytes32 channelId, uint64 lane) external view returns (Lane memory);

    /// @notice The EIP-712 digest the voucher's signer signs.
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32);

    /// @notice The EIP-712 digest both parties sign to close cooperatively.
    function closeDigest(CloseAuthorization calldata close) external view returns (bytes32);

    /// @notice What `account` may withdraw of `token` (address(0): the native coin): payouts whose transfer
    /// failed.
    function deferredPayouts(address token, address account) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens a channel from the caller to `payee` with a first deposit of `amount`.
    /// @dev The ERC20 is pulled from the caller (approve first); for the native coin send `amount` as value.
    /// Reverts: ZeroAddressPayee, PayeeIsPayer, SettleDelayOutOfRange, ZeroAmount, ChannelExists, ValueMismatch.
    /// @param payee The reference's `to`.
    /// @param token An ERC20, or address(0) for the native coin.
    /// @param salt Any value not used by the caller before: the channel's ID is `channelIdOf(caller, salt)`.
    /// @param amount The first deposit.
    /// @param settleDelay Seconds from `settle` to payout, in [MIN_SETTLE_DELAY, MAX_SETTLE_DELAY]; 0 for
    /// DEFAULT_SETTLE_DELAY.
    /// @return channelId The new channel's ID.
    function open(
        address payee,
        address token,
        bytes32 salt,
        uint128 amount,
        uint32 settleDelay
    ) external payable returns (bytes32 channelId);

    /// @notice Adds `amount` to an open channel, also while it settles; anyone may fund it.
    /// @dev The ERC20 is pulled from the caller; for the native coin send `amount` as value. What is not owed to
    /// the payee returns to the payer. Reverts: ChannelNotFound, ChannelClosed, ZeroAmount,
    /// SafeCastOverflowedUintDowncast (the balance would pass 2^128 − 1), ValueMismatch.
    function fund(bytes32 channelId, uint128 amount) external payable;

    /// @notice Applies a voucher signed by the other party: the reference's update, with its checks in its order.
    /// @dev Reverts, in this order: ChannelNotFound; NotParty (the caller is neither payer nor payee);
    /// ChannelSettled (closed, or `settlingAt` set and reached); SecretTooLong; TooManyMerges (Accord's bound,
    /// checked with the secret's); InvalidVoucherSignature (not signed by the other party); VoucherChannelMismatch
    /// (`voucher.channelId` is not `channelId`); TimeLockMinNotReached; TimeLockMaxPassed; (an amount is never
    /// negative: it is unsigned); SecretMismatch (`keccak256(secret) != secretHash` when the hash is set);
    /// ExtraCallFailed (`extraTarget.staticcall(extraData)` failed or did not return true); LaneOutOfRange;
    /// VoucherNonceTooLow (an existing lane needs a higher nonce; a new lane takes any); for each merge in order
    /// MergeIntoOwnLane, MergeLaneNotFound, MergeNonceTooLow; NegativeToSend (`toSend` would go below 0);
    /// InsufficientChannelFunds (`toSend` would exceed the balance).
    ///
    /// Effects, as in the reference: each merged lane's redeemed amount is counted and its nonce set; `toSend +=
    /// amount − (merged redeemed + lane redeemed)`; the lane's redeemed becomes `amount` and its nonce `nonce`
    /// (merged lanes keep their redeemed amounts); a `minSettleHeight` only ever raises the channel's
    /// `minSettleHeight`, and its `settlingAt` when set.
    /// @param channelId The channel to update.
    /// @param voucher The voucher.
    /// @param signature The other party's signature of `voucherDigest(voucher)`.
    /// @param secret The preimage of `voucher.secretHash` (empty when the hash is zero).
    function updateChannelState(
        bytes32 channelId,
        Voucher calldata voucher,
        bytes calldata signature,
        bytes calldata secret
    ) external;

    /// @notice Starts settling: `settlingAt = now + settleDelay`, or the channel's `minSettleHeight` if later.
    /// @dev Either party, once. Reverts: ChannelNotFound, NotParty, ChannelClosed, AlreadySettling.
    function settle(bytes32 channelId) external;

    /// @notice Pays out a settled channel: `toSend` to the payee, the rest to the payer; the channel closes.
    /// @dev Either party, from `settlingAt`. A failed transfer is kept for withdrawal. Reverts: ChannelNotFound,
    /// NotParty, ChannelClosed, NotSettling, SettlingNotDone.
    function collect(bytes32 channelId) external;

    /// @notice Closes a channel at once with both parties' signatures: `close.toSend` to the payee, the rest to
    /// the payer. Anyone may submit it; also while the channel settles.
    /// @dev A failed transfer is kept for withdrawal. Reverts: ChannelNotFound, ChannelClosed, CloseExpired,
    /// InsufficientChannelFunds, InvalidCloseSignature (payer's, then payee's).
    /// @param close What both signed.
    /// @param payerSignature The payer's signature of `closeDigest(close)`.
    /// @param payeeSignature The payee's signature of `closeDigest(close)`.
    function closeCooperatively(
        CloseAuthorization calldata close,
        bytes calldata payerSignature,
        bytes calldata payeeSignature
    ) external;

    /// @notice Pays the caller's deferred payouts of `token` to `to`, with all the gas the call has.
    /// @dev Reverts: NothingToWithdraw; NativeTransferFailed when `to` refuses the native coin (the ERC20's own
    /// error when its transfer fails).
    function withdraw(address token, address to) external;
}
