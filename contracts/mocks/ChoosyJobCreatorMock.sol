// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IDealMarket } from "../interfaces/IDealMarket.sol";
import { DealHashing } from "../libraries/DealHashing.sol";
import { DealTerms } from "../types/DataTypes.sol";

/// @notice A contract-wallet job creator that wants one particular mediator. It disputes a result only if, within
/// the same transaction, it can tell that the draw gives the mediator it likes, and reverts otherwise (to retry
/// in a later block). It tries every way a transaction has to learn the draw: asking the market
/// (`drawnMediator`, then `drawMediator`) and computing it from `blockhash(block.number)`. What it saw is in its
/// `Attempted` event, or in its `ChoosyJobCreatorMock_Dislikes` revert.
contract ChoosyJobCreatorMock {
    IDealMarket public immutable market;
    address public immutable owner;

    /// @param drawnMediatorRevert What `drawnMediator` reverted with (empty if it answered).
    /// @param drawMediatorRevert What `drawMediator` reverted with (empty if it fixed the draw).
    /// @param ownBlockHash `blockhash(block.number)` as this transaction sees it.
    /// @param guess The mediator the job creator believes is drawn.
    event Attempted(bytes drawnMediatorRevert, bytes drawMediatorRevert, bytes32 ownBlockHash, address guess);

    error ChoosyJobCreatorMock_NotOwner(address caller);
    error ChoosyJobCreatorMock_Dislikes(
        address guess,
        address liked,
        bytes drawnMediatorRevert,
        bytes drawMediatorRevert,
        bytes32 ownBlockHash
    );

    constructor(IDealMarket market_) {
        market = market_;
        owner = msg.sender;
        market_.token().approve(address(market_), type(uint256).max);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert ChoosyJobCreatorMock_NotOwner(msg.sender);
        _;
    }

    /// @notice Agrees to a deal as its job creator (the two-step path).
    function agree(bytes32 dealId, DealTerms calldata terms) external onlyOwner {
        market.agree(dealId, terms);
    }

    /// @notice Disputes the result, but only if the mediator drawn is `liked` as far as this transaction can tell.
    function checkResultIfLiked(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount,
        address liked
    ) external onlyOwner {
        market.checkResult(dealId, terms, instructionCount);
        _insistOn(dealId, terms, instructionCount, liked);
    }

    /// @notice Renews an expired draw (`drawMediator` after 256 blocks unfixed), but only if the new draw gives
    /// `liked` as far as this transaction can tell.
    function redrawIfLiked(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount,
        address liked
    ) external onlyOwner {
        market.drawMediator(dealId, terms, instructionCount);
        _insistOn(dealId, terms, instructionCount, liked);
    }

    /// @dev Learns the draw every way a transaction can, and reverts unless it gives `liked`.
    function _insistOn(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount, address liked) private {
        address guess;
        bool known;
        bytes memory drawnMediatorRevert;
        try market.drawnMediator(dealId, terms, instructionCount) returns (address mediator, uint8) {
            (guess, known) = (mediator, true);
        } catch (bytes memory reason) {
            drawnMediatorRevert = reason;
        }
        bytes memory drawMediatorRevert;
        try market.drawMediator(dealId, terms, instructionCount) {
            (guess, ) = market.drawnMediator(dealId, terms, instructionCount);
            known = true;
        } catch (bytes memory reason) {
            drawMediatorRevert = reason;
        }
        bytes32 ownBlockHash = blockhash(block.number);
        if (!known) {
            // The market's own formula, on the only hash this transaction can read for its block.
            bytes32 key = DealHashing.dealKey(dealId, address(this), terms.members.resourceProvider);
            guess = terms.members.mediators[DealHashing.drawIndex(ownBlockHash, key, terms.members.mediators.length)];
        }
        if (guess != liked) {
            revert ChoosyJobCreatorMock_Dislikes(guess, liked, drawnMediatorRevert, drawMediatorRevert, ownBlockHash);
        }
        emit Attempted(drawnMediatorRevert, drawMediatorRevert, ownBlockHash, guess);
    }
}
