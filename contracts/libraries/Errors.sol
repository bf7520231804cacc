// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { AgreementState } from "../types/DataTypes.sol";

/// @title Errors
/// @notice Every custom error of the Accord contracts, in one place so clients decode them from one ABI.
library Errors {
    /*//////////////////////////////////////////////////////////////
                               DEAL MARKET
    //////////////////////////////////////////////////////////////*/

    /// @notice The deal ID is zero.
    error DealMarket_ZeroDealId();

    /// @notice A deal with this key (ID and parties) already exists (also what a replayed signed agreement hits).
    error DealMarket_DealExists(bytes32 dealKey);

    /// @notice No deal with this key (ID and parties) exists.
    error DealMarket_DealNotFound(bytes32 dealKey);

    /// @notice The terms (or result data) passed do not match the deal's stored commitment.
    error DealMarket_TermsMismatch(bytes32 dealKey);

    /// @notice The deal is not in the state the action needs.
    error DealMarket_InvalidState(bytes32 dealKey, AgreementState current, AgreementState expected);

    /// @notice The caller is not the party allowed to take this action.
    error DealMarket_Unauthorized(bytes32 dealKey, address caller);

    /// @notice The party has already agreed to this deal.
    error DealMarket_AlreadyAgreed(bytes32 dealKey, address party);

    /// @notice The step's deadline has passed; only its timeout remains.
    error DealMarket_DeadlinePassed(bytes32 dealKey, uint256 deadline);

    /// @notice The step's deadline has not passed yet; the timeout cannot be claimed.
    error DealMarket_DeadlineNotPassed(bytes32 dealKey, uint256 deadline);

    /// @notice The mediator cannot be known yet: it is drawn from the hash of `drawBlock`, which exists from the
    /// next block on.
    error DealMarket_DrawPending(bytes32 dealKey, uint256 drawBlock);

    /// @notice The hash of `drawBlock` is older than the 256 blocks the EVM keeps and nobody fixed the draw in
    /// time: call `drawMediator` to draw again from a new block.
    error DealMarket_DrawExpired(bytes32 dealKey, uint256 drawBlock);

    /// @notice The mediator of this deal is already drawn and fixed.
    error DealMarket_MediatorAlreadyDrawn(bytes32 dealKey, address mediator);

    /// @notice The job creator or resource provider is the zero address.
    error DealMarket_ZeroAddressParty();

    /// @notice The job creator and the resource provider are the same account.
    error DealMarket_SameParty(address account);

    /// @notice The terms name no mediator, so a result could never be checked.
    error DealMarket_NoMediators();

    /// @notice The mediator at `index` is the zero address: it could never decide, so a dispute would only end
    /// by timeout.
    error DealMarket_ZeroAddressMediator(uint256 index);

    /// @notice The terms name more mediators than the market accepts.
    error DealMarket_TooManyMediators(uint256 count, uint256 max);

    /// @notice A signed agreement was submitted after its deadline.
    error DealMarket_SignatureExpired(uint256 deadline);

    /// @notice A signature does not come from the party it must come from.
    error DealMarket_InvalidSignature(address expectedSigner);

    /// @notice The caller has no deferred payout to withdraw.
    error DealMarket_NothingToWithdraw(address account);

    /// @notice The payment token is the zero address.
    error DealMarket_ZeroAddressToken();

    /*//////////////////////////////////////////////////////////////
                            SERVICE REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice The roles bitmap is empty or names a ServiceType that does not exist.
    error ServiceRegistry_InvalidRoles(uint8 roles);

    /// @notice The account is not registered.
    error ServiceRegistry_NotRegistered(address account);

    /// @notice The URL is longer than the registry accepts.
    error ServiceRegistry_UrlTooLong(uint256 length, uint256 max);
}
