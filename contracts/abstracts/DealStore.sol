// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IDealMarket } from "../interfaces/IDealMarket.sol";
import { DealHashing } from "../libraries/DealHashing.sol";
import { Errors } from "../libraries/Errors.sol";
import { AgreementState, DealMembers, DealRecord, DealTerms, MediationDraw } from "../types/DataTypes.sol";

/// @title DealStore
/// @notice The deals' storage: one slot each under the deal's key, the mediator draws of deals under
/// mediation, and the checks every action makes against them.
abstract contract DealStore is IDealMarket {
    /// @inheritdoc IDealMarket
    uint256 public constant override MAX_MEDIATORS = 32;

    uint8 internal constant JOB_CREATOR = 1;
    uint8 internal constant RESOURCE_PROVIDER = 2;
    uint8 internal constant BOTH_PARTIES = JOB_CREATOR | RESOURCE_PROVIDER;

    /// @dev The EVM keeps the hashes of the last 256 blocks.
    uint256 internal constant BLOCKHASH_WINDOW = 256;

    mapping(bytes32 dealKey => DealRecord record) internal _deals;
    mapping(bytes32 dealKey => MediationDraw draw) internal _draws;

    /// @inheritdoc IDealMarket
    function dealKey(
        bytes32 dealId,
        address jobCreator,
        address resourceProvider
    ) external pure override returns (bytes32) {
        return DealHashing.dealKey(dealId, jobCreator, resourceProvider);
    }

    /// @inheritdoc IDealMarket
    function getDeal(bytes32 key) external view override returns (DealRecord memory) {
        return _deals[key];
    }

    /// @inheritdoc IDealMarket
    function getDealState(bytes32 key) external view override returns (AgreementState) {
        DealRecord memory record = _deals[key];
        if (record.updatedAt == 0) revert Errors.DealMarket_DealNotFound(key);
        return record.state;
    }

    /// @inheritdoc IDealMarket
    function getMediationDraw(bytes32 key) external view override returns (MediationDraw memory) {
        return _draws[key];
    }

    /// @inheritdoc IDealMarket
    function hashTerms(DealTerms calldata terms) external pure override returns (bytes32) {
        return DealHashing.hashTerms(terms);
    }

    /// @dev The key of the deal `terms` describe.
    function _keyOf(bytes32 dealId, DealTerms calldata terms) internal pure returns (bytes32) {
        DealMembers calldata members = terms.members;
        return DealHashing.dealKey(dealId, members.jobCreator, members.resourceProvider);
    }

    /// @dev Loads a deal that must be in `expected` and match the terms and instruction count passed.
    function _load(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount,
        AgreementState expected
    ) internal view returns (bytes32 key, DealRecord memory record, bytes32 termsHash) {
        key = _keyOf(dealId, terms);
        record = _deals[key];
        if (record.updatedAt == 0) revert Errors.DealMarket_DealNotFound(key);
        if (record.state != expected) revert Errors.DealMarket_InvalidState(key, record.state, expected);
        termsHash = DealHashing.hashTerms(terms);
        if (record.commitment != DealHashing.commitment(termsHash, instructionCount)) {
            revert Errors.DealMarket_TermsMismatch(key);
        }
    }

    /// @dev Moves a loaded deal to `state` starting now, keeping its commitment.
    function _transition(bytes32 key, DealRecord memory record, AgreementState state) internal {
        _store(key, state, record.agreedBy, record.commitment);
    }

    function _store(bytes32 key, AgreementState state, uint8 agreedBy, bytes25 commitment) internal {
        _deals[key] = DealRecord(state, agreedBy, uint40(block.timestamp), commitment);
        emit DealStateChange(key, state);
    }

    /// @dev Starts a mediator draw from the hash of the current block.
    function _requestDraw(bytes32 key) internal {
        _draws[key] = MediationDraw(uint64(block.number), false, 0);
        emit MediationRequested(key, block.number);
    }

    /// @dev The drawn mediator's index: fixed, or read from the draw block's hash while the EVM keeps it.
    function _drawnIndex(bytes32 key, uint256 mediatorCount) internal view returns (uint8) {
        MediationDraw memory draw = _draws[key];
        if (draw.drawn) return draw.mediatorIndex;
        if (draw.drawBlock == block.number) revert Errors.DealMarket_DrawPending(key, draw.drawBlock);
        if (block.number - draw.drawBlock > BLOCKHASH_WINDOW) revert Errors.DealMarket_DrawExpired(key, draw.drawBlock);
        return DealHashing.drawIndex(blockhash(draw.drawBlock), key, mediatorCount);
    }

    /// @dev The terms a new deal must satisfy (the rest is the parties' business).
    function _validateNewDeal(bytes32 dealId, bytes32 key, DealTerms calldata terms) internal view {
        if (dealId == bytes32(0)) revert Errors.DealMarket_ZeroDealId();
        if (_deals[key].updatedAt != 0) revert Errors.DealMarket_DealExists(key);
        DealMembers calldata members = terms.members;
        address jobCreator = members.jobCreator;
        address resourceProvider = members.resourceProvider;
        if (jobCreator == address(0) || resourceProvider == address(0)) revert Errors.DealMarket_ZeroAddressParty();
        if (jobCreator == resourceProvider) revert Errors.DealMarket_SameParty(jobCreator);
        address[] calldata mediators = members.mediators;
        uint256 count = mediators.length;
        if (count == 0) revert Errors.DealMarket_NoMediators();
        if (count > MAX_MEDIATORS) revert Errors.DealMarket_TooManyMediators(count, MAX_MEDIATORS);
        for (uint256 i = 0; i < count; ++i) {
            if (mediators[i] == address(0)) revert Errors.DealMarket_ZeroAddressMediator(i);
        }
    }

    /// @dev Reverts unless the step that began at `start` is still within `timeout`.
    function _requireBeforeDeadline(bytes32 key, uint40 start, uint64 timeout) internal view {
        uint256 deadline = uint256(start) + timeout;
        if (block.timestamp > deadline) revert Errors.DealMarket_DeadlinePassed(key, deadline);
    }

    /// @dev Reverts unless the step that began at `start` has overrun `timeout`.
    function _requireAfterDeadline(bytes32 key, uint40 start, uint64 timeout) internal view {
        uint256 deadline = uint256(start) + timeout;
        if (block.timestamp <= deadline) revert Errors.DealMarket_DeadlineNotPassed(key, deadline);
    }

    /// @dev Reverts unless the caller is `expected`.
    function _requireCaller(bytes32 key, address expected) internal view {
        if (msg.sender != expected) revert Errors.DealMarket_Unauthorized(key, msg.sender);
    }
}
