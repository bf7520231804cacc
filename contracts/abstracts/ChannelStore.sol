// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import { IPaymentChannels } from "../interfaces/IPaymentChannels.sol";
import { Errors } from "../libraries/Errors.sol";
import { Channel, Lane } from "../types/ChannelTypes.sol";

/// @title ChannelStore
/// @notice The payment channels' storage (channels, lanes, deferred payouts), their bounds, and the token
/// movements: deposits in, payouts out, a failed payout kept for withdrawal.
abstract contract ChannelStore is IPaymentChannels {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPaymentChannels
    uint32 public constant override DEFAULT_SETTLE_DELAY = 12 hours;
    /// @inheritdoc IPaymentChannels
    uint32 public constant override MIN_SETTLE_DELAY = 1 hours;
    /// @inheritdoc IPaymentChannels
    uint32 public constant override MAX_SETTLE_DELAY = 30 days;
    /// @inheritdoc IPaymentChannels
    uint256 public constant override MAX_SECRET_BYTES = 256;
    /// @inheritdoc IPaymentChannels
    uint256 public constant override MAX_MERGES = 16;
    /// @inheritdoc IPaymentChannels
    uint64 public constant override MAX_LANE = type(uint64).max >> 1;
    /// @inheritdoc IPaymentChannels
    uint256 public constant override NATIVE_PAYOUT_GAS = 100_000;

    mapping(bytes32 channelId => Channel channel) internal _channels;
    mapping(bytes32 channelId => mapping(uint64 lane => Lane state)) internal _lanes;

    /// @inheritdoc IPaymentChannels
    mapping(address token => mapping(address account => uint256 amount)) public override deferredPayouts;

    /// @inheritdoc IPaymentChannels
    function getChannel(bytes32 channelId) external view override returns (Channel memory) {
        return _channels[channelId];
    }

    /// @inheritdoc IPaymentChannels
    function getLane(bytes32 channelId, uint64 lane) external view override returns (Lane memory) {
        return _lanes[channelId][lane];
    }

    /// @dev Takes a deposit of `amount`: the value sent for the native coin, else pulled from the caller.
    function _receive(address token, uint256 amount) internal {
        if (token == address(0)) {
            if (msg.value != amount) revert Errors.PaymentChannels_ValueMismatch(msg.value, amount);
        } else {
            if (msg.value != 0) revert Errors.PaymentChannels_ValueMismatch(msg.value, 0);
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        }
    }

    /// @dev Pays `amount` to `to`, or keeps it for `to` to withdraw when the transfer fails. The native coin is
    /// sent with at most NATIVE_PAYOUT_GAS and without copying return data, so a recipient can neither burn the
    /// caller's gas nor block the other party's payout.
    function _push(address token, address to, uint256 amount) internal {
        if (amount == 0) return;
        bool sent;
        if (token == address(0)) {
            uint256 gasLimit = NATIVE_PAYOUT_GAS;
            // solhint-disable-next-line no-inline-assembly
            assembly {
                sent := call(gasLimit, to, amount, 0, 0, 0, 0)
            }
        } else {
            sent = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!sent) {
            deferredPayouts[token][to] += amount;
            emit PayoutDeferred(token, to, amount);
        }
    }

    /// @dev Pays out a withdrawal with all the gas left; a failure reverts (the caller chose `to`).
    function _send(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool sent, ) = to.call{ value: amount }("");
            if (!sent) revert Errors.PaymentChannels_NativeTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
