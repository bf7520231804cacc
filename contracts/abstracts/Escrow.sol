// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { IDealMarket } from "../interfaces/IDealMarket.sol";
import { Errors } from "../libraries/Errors.sol";
import { PaymentDirection, PaymentReason } from "../types/DataTypes.sol";

/// @title Escrow
/// @notice The market's token movements: pulls collateral from wallets, pushes payouts, and keeps a payout
/// whose transfer fails for the recipient to withdraw, so one party cannot block another's settlement.
abstract contract Escrow is IDealMarket, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IDealMarket
    IERC20 public immutable override token;

    /// @inheritdoc IDealMarket
    mapping(address account => uint256 amount) public override deferredPayouts;

    constructor(IERC20 token_) {
        if (address(token_) == address(0)) revert Errors.DealMarket_ZeroAddressToken();
        token = token_;
    }

    /// @inheritdoc IDealMarket
    function withdraw(address to) external override nonReentrant {
        uint256 amount = deferredPayouts[msg.sender];
        if (amount == 0) revert Errors.DealMarket_NothingToWithdraw(msg.sender);
        deferredPayouts[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @dev Moves `owed` in from and `due` out to `account` as one net transfer.
    function _settle(address account, uint256 owed, uint256 due) internal {
        if (owed > due) _pull(account, owed - due);
        else _push(account, due - owed);
    }

    function _pull(address from, uint256 amount) internal {
        if (amount != 0) token.safeTransferFrom(from, address(this), amount);
    }

    function _push(address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.trySafeTransfer(to, amount)) {
            deferredPayouts[to] += amount;
            emit PayoutDeferred(to, amount);
        }
    }

    /// @dev A zero amount moves nothing, so it is not a payment.
    function _logPayment(
        bytes32 key,
        address payee,
        uint256 amount,
        PaymentReason reason,
        PaymentDirection direction
    ) internal {
        if (amount != 0) emit Payment(key, payee, amount, reason, direction);
    }
}
