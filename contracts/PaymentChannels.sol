// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SignatureChecker } from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { ChannelStore } from "./abstracts/ChannelStore.sol";
import { IPaymentChannels } from "./interfaces/IPaymentChannels.sol";
import { ChannelHashing } from "./libraries/ChannelHashing.sol";
import { Errors } from "./libraries/Errors.sol";
import { Channel, ChannelStatus, CloseAuthorization, Lane, Merge, Voucher } from "./types/ChannelTypes.sol";

/// @title PaymentChannels
/// @notice See {IPaymentChannels}. Every action checks, changes the channel, logs it, and only then moves funds.
contract PaymentChannels is IPaymentChannels, ChannelStore, EIP712, ReentrancyGuardTransient {
    /// @notice Deploys the channels; they hold any ERC20 or the native coin.
    constructor() EIP712("Accord PaymentChannels", "1") {}

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentChannels
    function channelIdOf(address payer, bytes32 salt) public pure override returns (bytes32) {
        return keccak256(abi.encode(payer, salt));
    }

    /// @inheritdoc IPaymentChannels
    function voucherDigest(Voucher calldata voucher) public view override returns (bytes32) {
        return _hashTypedDataV4(ChannelHashing.hashVoucher(voucher));
    }

    /// @inheritdoc IPaymentChannels
    function closeDigest(CloseAuthorization calldata close) public view override returns (bytes32) {
        return _hashTypedDataV4(ChannelHashing.hashClose(close));
    }

    /*//////////////////////////////////////////////////////////////
                                 FUNDING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentChannels
    function open(
        address payee,
        address token,
        bytes32 salt,
        uint128 amount,
        uint32 settleDelay
    ) external payable override nonReentrant returns (bytes32 channelId) {
        if (payee == address(0)) revert Errors.PaymentChannels_ZeroAddressPayee();
        if (payee == msg.sender) revert Errors.PaymentChannels_PayeeIsPayer(payee);
        uint32 delay = settleDelay == 0 ? DEFAULT_SETTLE_DELAY : settleDelay;
        if (delay < MIN_SETTLE_DELAY || delay > MAX_SETTLE_DELAY) {
            revert Errors.PaymentChannels_SettleDelayOutOfRange(settleDelay, MIN_SETTLE_DELAY, MAX_SETTLE_DELAY);
        }
        if (amount == 0) revert Errors.PaymentChannels_ZeroAmount();
        channelId = channelIdOf(msg.sender, salt);
        if (_channels[channelId].status != ChannelStatus.None) revert Errors.PaymentChannels_ChannelExists(channelId);

        _channels[channelId] = Channel({
            payer: msg.sender,
            settlingAt: 0,
            settleDelay: delay,
            payee: payee,
            minSettleHeight: 0,
            status: ChannelStatus.Open,
            token: token,
            balance: amount,
            toSend: 0
        });
        emit ChannelOpened(channelId, msg.sender, payee, token, amount, delay);
        _receive(token, amount);
    }

    /// @inheritdoc IPaymentChannels
    function fund(bytes32 channelId, uint128 amount) external payable override nonReentrant {
        Channel storage channel = _openChannel(channelId);
        if (amount == 0) revert Errors.PaymentChannels_ZeroAmount();
        uint128 balance = SafeCast.toUint128(uint256(channel.balance) + amount);
        channel.balance = balance;
        emit ChannelFunded(channelId, msg.sender, amount, balance);
        _receive(channel.token, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                VOUCHERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentChannels
    function updateChannelState(
        bytes32 channelId,
        Voucher calldata voucher,
        bytes calldata signature,
        bytes calldata secret
    ) external override {
        Channel storage channel = _channels[channelId];
        bytes32 digest = _checkVoucher(channel, channelId, voucher, signature, secret);
        uint128 toSend = _applyLanes(channel, channelId, voucher);

        // 15. A minSettleHeight only ever delays settling.
        uint64 settlingAt = channel.settlingAt;
        uint64 minSettle = channel.minSettleHeight;
        uint64 voucherMinSettle = voucher.minSettleHeight;
        if (voucherMinSettle != 0) {
            if (settlingAt != 0 && settlingAt < voucherMinSettle) {
                settlingAt = voucherMinSettle;
                channel.settlingAt = settlingAt;
            }
            if (minSettle < voucherMinSettle) {
                minSettle = voucherMinSettle;
                channel.minSettleHeight = minSettle;
            }
        }
        emit VoucherRedeemed(
            channelId,
            voucher.lane,
            msg.sender,
            digest,
            voucher.nonce,
            voucher.amount,
            toSend,
            settlingAt,
            minSettle
        );
    }

    /*//////////////////////////////////////////////////////////////
                                 SETTLING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPaymentChannels
    function settle(bytes32 channelId) external override {
        Channel storage channel = _partyChannel(channelId);
        if (channel.status == ChannelStatus.Closed) revert Errors.PaymentChannels_ChannelClosed(channelId);
        if (channel.settlingAt != 0) revert Errors.PaymentChannels_AlreadySettling(channelId, channel.settlingAt);
        uint64 settlingAt = uint64(block.timestamp) + channel.settleDelay;
        if (channel.minSettleHeight > settlingAt) settlingAt = channel.minSettleHeight;
        channel.settlingAt = settlingAt;
        emit SettleStarted(channelId, msg.sender, settlingAt);
    }

    /// @inheritdoc IPaymentChannels
    function collect(bytes32 channelId) external override nonReentrant {
        Channel storage channel = _partyChannel(channelId);
        if (channel.status == ChannelStatus.Closed) revert Errors.PaymentChannels_ChannelClosed(channelId);
        uint64 settlingAt = channel.settlingAt;
        if (settlingAt == 0) revert Errors.PaymentChannels_NotSettling(channelId);
        if (block.timestamp < settlingAt) revert Errors.PaymentChannels_SettlingNotDone(channelId, settlingAt);
        (uint256 toPayee, uint256 toPayer) = _close(channel, channel.toSend);
        emit ChannelCollected(channelId, channel.payer, channel.payee, toPayee, toPayer);
        _payOut(channel, toPayee, toPayer);
    }

    /// @inheritdoc IPaymentChannels
    function closeCooperatively(
        CloseAuthorization calldata close,
        bytes calldata payerSignature,
        bytes calldata payeeSignature
    ) external override nonReentrant {
        bytes32 channelId = close.channelId;
        Channel storage channel = _openChannel(channelId);
        if (block.timestamp > close.deadline) revert Errors.PaymentChannels_CloseExpired(close.deadline);
        if (close.toSend > channel.balance) {
            revert Errors.PaymentChannels_InsufficientChannelFunds(channelId, close.toSend, channel.balance);
        }
        bytes32 digest = closeDigest(close);
        address payer = channel.payer;
        address payee = channel.payee;
        if (!SignatureChecker.isValidSignatureNow(payer, digest, payerSignature)) {
            revert Errors.PaymentChannels_InvalidCloseSignature(channelId, payer);
        }
        if (!SignatureChecker.isValidSignatureNow(payee, digest, payeeSignature)) {
            revert Errors.PaymentChannels_InvalidCloseSignature(channelId, payee);
        }
        (uint256 toPayee, uint256 toPayer) = _close(channel, close.toSend);
        emit ChannelClosed(channelId, payer, payee, toPayee, toPayer);
        _payOut(channel, toPayee, toPayer);
    }

    /// @inheritdoc IPaymentChannels
    function withdraw(address token, address to) external override nonReentrant {
        uint256 amount = deferredPayouts[token][msg.sender];
        if (amount == 0) revert Errors.PaymentChannels_NothingToWithdraw(token, msg.sender);
        deferredPayouts[token][msg.sender] = 0;
        emit Withdrawn(token, msg.sender, to, amount);
        _send(token, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev An existing channel whose caller is a party.
    function _partyChannel(bytes32 channelId) private view returns (Channel storage channel) {
        channel = _channels[channelId];
        if (channel.status == ChannelStatus.None) revert Errors.PaymentChannels_ChannelNotFound(channelId);
        if (msg.sender != channel.payer && msg.sender != channel.payee) {
            revert Errors.PaymentChannels_NotParty(channelId, msg.sender);
        }
    }

    /// @dev A channel that exists and is not closed.
    function _openChannel(bytes32 channelId) private view returns (Channel storage channel) {
        channel = _channels[channelId];
        if (channel.status == ChannelStatus.None) revert Errors.PaymentChannels_ChannelNotFound(channelId);
        if (channel.status == ChannelStatus.Closed) revert Errors.PaymentChannels_ChannelClosed(channelId);
    }

    /// @dev Checks 1–10 of `updateChannelState`, in order; returns the voucher's digest.
    function _checkVoucher(
        Channel storage channel,
        bytes32 channelId,
        Voucher calldata voucher,
        bytes calldata signature,
        bytes calldata secret
    ) private view returns (bytes32 digest) {
        ChannelStatus status = channel.status;
        if (status == ChannelStatus.None) revert Errors.PaymentChannels_ChannelNotFound(channelId);

        // 1. The caller is a party; the voucher must be signed by the other one.
        address signer;
        if (msg.sender == channel.payer) signer = channel.payee;
        else if (msg.sender == channel.payee) signer = channel.payer;
        else revert Errors.PaymentChannels_NotParty(channelId, msg.sender);

        // 2. No update once settled.
        uint64 settlingAt = channel.settlingAt;
        if (status == ChannelStatus.Closed || (settlingAt != 0 && block.timestamp >= settlingAt)) {
            revert Errors.PaymentChannels_ChannelSettled(channelId, settlingAt);
        }

        // 3. Input bounds: the secret (the reference's), the merges (Accord's, so nothing below is unbounded).
        if (secret.length > MAX_SECRET_BYTES) {
            revert Errors.PaymentChannels_SecretTooLong(secret.length, MAX_SECRET_BYTES);
        }
        uint256 mergeCount = voucher.merges.length;
        if (mergeCount > MAX_MERGES) revert Errors.PaymentChannels_TooManyMerges(mergeCount, MAX_MERGES);

        // 4. The signature; 5. the voucher is bound to this channel.
        digest = voucherDigest(voucher);
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert Errors.PaymentChannels_InvalidVoucherSignature(channelId, signer);
        }
        if (voucher.channelId != channelId) {
            revert Errors.PaymentChannels_VoucherChannelMismatch(channelId, voucher.channelId);
        }

        // 6–7. Time locks; (8. the amount is unsigned, never negative).
        if (block.timestamp < voucher.timeLockMin) {
            revert Errors.PaymentChannels_TimeLockMinNotReached(voucher.timeLockMin);
        }
        if (voucher.timeLockMax != 0 && block.timestamp > voucher.timeLockMax) {
            revert Errors.PaymentChannels_TimeLockMaxPassed(voucher.timeLockMax);
        }

        // 9. The secret; 10. the extra call.
        if (voucher.secretHash != bytes32(0) && keccak256(secret) != voucher.secretHash) {
            revert Errors.PaymentChannels_SecretMismatch(voucher.secretHash);
        }
        if (voucher.extraTarget != address(0)) _checkExtra(voucher.extraTarget, voucher.extraData);
    }

    /// @dev Checks 11–14 of `updateChannelState` and applies them: the lane, its nonce, the merges, `toSend`.
    function _applyLanes(
        Channel storage channel,
        bytes32 channelId,
        Voucher calldata voucher
    ) private returns (uint128) {
        // 11. The lane; 12. its nonce.
        uint64 laneId = voucher.lane;
        if (laneId > MAX_LANE) revert Errors.PaymentChannels_LaneOutOfRange(laneId);
        Lane storage lane = _lanes[channelId][laneId];
        if (lane.exists && voucher.nonce <= lane.nonce) {
            revert Errors.PaymentChannels_VoucherNonceTooLow(laneId, lane.nonce, voucher.nonce);
        }

        // 13. Merges: each counts its lane's redeemed amount and raises its nonce.
        uint256 redeemedFromMerges = 0;
        uint256 mergeCount = voucher.merges.length;
        for (uint256 i = 0; i < mergeCount; ++i) {
            redeemedFromMerges += _merge(channelId, laneId, voucher.merges[i]);
        }

        // 14. toSend += amount − (merged + lane redeemed), within [0, balance].
        uint256 reduction = redeemedFromMerges + lane.redeemed;
        uint256 raised = uint256(channel.toSend) + voucher.amount;
        if (raised < reduction) revert Errors.PaymentChannels_NegativeToSend(channel.toSend, reduction);
        uint256 toSend = raised - reduction;
        if (toSend > channel.balance) {
            revert Errors.PaymentChannels_InsufficientChannelFunds(channelId, toSend, channel.balance);
        }
        lane.redeemed = voucher.amount;
        lane.nonce = voucher.nonce;
        lane.exists = true;
        // toSend ≤ balance, a uint128.
        channel.toSend = uint128(toSend);
        return uint128(toSend);
    }

    /// @dev Checks one merge and applies it; returns the merged lane's redeemed amount.
    function _merge(bytes32 channelId, uint64 intoLane, Merge calldata merge) private returns (uint256 redeemed) {
        if (merge.lane == intoLane) revert Errors.PaymentChannels_MergeIntoOwnLane(merge.lane);
        Lane storage other = _lanes[channelId][merge.lane];
        if (!other.exists) revert Errors.PaymentChannels_MergeLaneNotFound(merge.lane);
        if (merge.nonce <= other.nonce) {
            revert Errors.PaymentChannels_MergeNonceTooLow(merge.lane, other.nonce, merge.nonce);
        }
        other.nonce = merge.nonce;
        emit LaneMerged(channelId, merge.lane, intoLane, merge.nonce);
        return other.redeemed;
    }

    /// @dev `target.staticcall(data)` must succeed and return exactly an ABI-encoded true.
    function _checkExtra(address target, bytes calldata data) private view {
        (bool ok, bytes memory result) = target.staticcall(data);
        if (!ok || result.length != 32 || abi.decode(result, (uint256)) != 1) {
            revert Errors.PaymentChannels_ExtraCallFailed(target);
        }
    }

    /// @dev Closes the channel with `toSend` owed to the payee; returns the two payouts.
    function _close(Channel storage channel, uint128 toSend) private returns (uint256 toPayee, uint256 toPayer) {
        toPayee = toSend;
        toPayer = channel.balance - toSend;
        channel.status = ChannelStatus.Closed;
        channel.toSend = toSend;
        channel.balance = 0;
    }

    function _payOut(Channel storage channel, uint256 toPayee, uint256 toPayer) private {
        address token = channel.token;
        _push(token, channel.payee, toPayee);
        _push(token, channel.payer, toPayer);
    }
}
