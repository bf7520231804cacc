// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IDealMarket } from "../interfaces/IDealMarket.sol";
import { DealHashing } from "../libraries/DealHashing.sol";
import { Errors } from "../libraries/Errors.sol";
import { AgreementState, DealRecord, DealTerms } from "../types/DataTypes.sol";

/// @title DealStore
/// @notice The deals' storage: one slot each, and the checks every action makes against it.
abstract contract DealStore is IDealMarket {
    /// @inheritdoc IDealMarket
    uint256 public constant override MAX_MEDIATORS = 32;

    uint8 internal constant JOB_CREATOR = 1;
    uint8 internal constant RESOURCE_PROVIDER = 2;
    uint8 internal constant BOTH_PARTIES = JOB_CREATOR | RESOURCE_PROVIDER;

    mapping(bytes32 dealId => DealRecord record) internal _deals;

    /// @inheritdoc IDealMarket
    function getDeal(bytes32 dealId) external view override returns (DealRecord memory) {
        return _deals[dealId];
    }

    /// @inheritdoc IDealMarket
    function getDealState(bytes32 dealId) external view override returns (AgreementState) {
        DealRecord memory record = _deals[dealId];
        if (record.updatedAt == 0) revert Errors.DealMarket_DealNotFound(dealId);
        return record.state;
    }

    /// @inheritdoc IDealMarket
    function hashTerms(DealTerms calldata terms) external pure override returns (bytes32) {
        return DealHashing.hashTerms(terms);
    }

    /// @dev Loads a deal that must be in `expected` and match the terms and fixed values passed.
    function _load(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount,
        uint8 mediatorIndex,
        AgreementState expected
    ) internal view returns (DealRecord memory record, bytes32 termsHash) {
        record = _deals[dealId];
        if (record.updatedAt == 0) revert Errors.DealMarket_DealNotFound(dealId);
        if (record.state != expected) revert Errors.DealMarket_InvalidState(dealId, record.state, expected);
        termsHash = DealHashing.hashTerms(terms);
        if (record.commitment != DealHashing.commitment(termsHash, instructionCount, mediatorIndex)) {
            revert Errors.DealMarket_TermsMismatch(dealId);
        }
    }

    /// @dev Moves a loaded deal to `state` starting now, keeping its commitment.
    function _transition(bytes32 dealId, DealRecord memory record, AgreementState state) internal {
        _store(dealId, state, record.agreedBy, record.commitment);
    }

    function _store(bytes32 dealId, AgreementState state, uint8 agreedBy, bytes25 commitment) internal {
        _deals[dealId] = DealRecord(state, agreedBy, uint40(block.timestamp), commitment);
        emit DealStateChange(dealId, state);
    }

    /// @dev The terms a new deal must satisfy (the rest is the parties' business).
    function _validateNewDeal(bytes32 dealId, DealTerms calldata terms) internal view {
        if (dealId == bytes32(0)) revert Errors.DealMarket_ZeroDealId();
        if (_deals[dealId].updatedAt != 0) revert Errors.DealMarket_DealExists(dealId);
        address jobCreator = terms.members.jobCreator;
        address resourceProvider = terms.members.resourceProvider;
        if (jobCreator == address(0) || resourceProvider == address(0)) revert Errors.DealMarket_ZeroAddressParty();
        if (jobCreator == resourceProvider) revert Errors.DealMarket_SameParty(jobCreator);
        uint256 mediators = terms.members.mediators.length;
        if (mediators == 0) revert Errors.DealMarket_NoMediators();
        if (mediators > MAX_MEDIATORS) revert Errors.DealMarket_TooManyMediators(mediators, MAX_MEDIATORS);
        for (uint256 i = 0; i < mediators; ++i) {
            if (terms.members.mediators[i] == address(0)) revert Errors.DealMarket_ZeroAddressMediator(i);
        }
    }

    /// @dev Reverts unless the step that began at `start` is still within `timeout`.
    function _requireBeforeDeadline(bytes32 dealId, uint40 start, uint64 timeout) internal view {
        uint256 deadline = uint256(start) + timeout;
        if (block.timestamp > deadline) revert Errors.DealMarket_DeadlinePassed(dealId, deadline);
    }

    /// @dev Reverts unless the step that began at `start` has overrun `timeout`.
    function _requireAfterDeadline(bytes32 dealId, uint40 start, uint64 timeout) internal view {
        uint256 deadline = uint256(start) + timeout;
        if (block.timestamp <= deadline) revert Errors.DealMarket_DeadlineNotPassed(dealId, deadline);
    }

    /// @dev Reverts unless the caller is `expected`.
    function _requireCaller(bytes32 dealId, address expected) internal view {
        if (msg.sender != expected) revert Errors.DealMarket_Unauthorized(dealId, msg.sender);
    }
}
