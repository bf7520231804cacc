// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {
    AgreementState,
    DealPricing,
    DealRecord,
    DealTerms,
    MediationDraw,
    DealTimeouts,
    PaymentDirection,
    PaymentReason
} from "../types/DataTypes.sol";

/// @title IDealMarket
/// @notice Holds compute-deal agreements, their collateral and their payments until results are accepted,
/// mediated or timed out.
/// @dev The market stores one slot per deal under its key, `dealKey(dealId, jobCreator, resourceProvider)`: its
/// state, when that state began, and a commitment to the terms (plus the instruction count once known). Keying
/// by the parties means only they can create the record their signed agreement needs. Callers pass the terms back with every action; the
/// market checks them against the commitment. Terms, results and the mediator draw are in the events.
///
/// Funds: the market holds one ERC20. Collateral is pulled from the party's wallet (approve the market first).
/// Payouts are pushed to the recipient; if a transfer fails (e.g. a token blacklist), the amount is kept for
/// the recipient to `withdraw`, so no party can block another's settlement.
///
/// Deadlines: a step may be taken while `block.timestamp <= updatedAt + timeout` of that step; its timeout may
/// be claimed once `block.timestamp > updatedAt + timeout`.
interface IDealMarket {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A deal came into being with these terms (first agreement, or both at once). The terms are
    /// flattened (DealTerms without the two indexed parties) to keep the log small.
    /// @param dealKey Where the market keeps the deal: `dealKey(dealId, jobCreator, resourceProvider)`. Every
    /// later event of the deal names it by this key.
    /// @param dealId The sha256 digest of the deal's CID (the ID people see); several records may share it if
    /// their parties differ.
    event DealCreated(
        bytes32 indexed dealKey,
        address indexed jobCreator,
        address indexed resourceProvider,
        bytes32 dealId,
        address solver,
        address[] mediators,
        DealPricing pricing,
        DealTimeouts timeouts
    );

    /// @notice A party agreed to the deal on the two-step path.
    event PartyAgreed(bytes32 indexed dealKey, address indexed party);

    /// @notice The deal entered `state` (its AgreementState index).
    event DealStateChange(bytes32 indexed dealKey, AgreementState indexed state);

    /// @notice The resource provider submitted results.
    /// @param resultsId The sha256 digest of the results' CID.
    /// @param instructionCount What the provider charges for; job cost = instructionPrice × instructionCount.
    event ResultAdded(bytes32 indexed dealKey, bytes32 resultsId, uint64 instructionCount);

    /// @notice The job creator disputed the result (or an expired draw was renewed): the mediator is drawn from
    /// the hash of `drawBlock`, the block of this event, as
    /// `mediators[uint256(keccak256(abi.encode(blockhash(drawBlock), dealKey))) % mediators.length]`.
    event MediationRequested(bytes32 indexed dealKey, uint256 drawBlock);

    /// @notice The draw was fixed on chain (`drawMediator`), so it outlives the 256 blocks of kept block hashes.
    event MediatorDrawn(bytes32 indexed dealKey, address indexed mediator, uint8 mediatorIndex);

    /// @notice Funds moved for a deal.
    /// @param payee For PaidIn the payer; otherwise the recipient (for Slashed, the injured party receiving the
    /// slashed collateral, whose owner follows from `reason`).
    event Payment(
        bytes32 indexed dealKey,
        address indexed payee,
        uint256 amount,
        PaymentReason reason,
        PaymentDirection direction
    );

    /// @notice A payout could not be transferred and is kept for `account` to withdraw.
    event PayoutDeferred(address indexed account, uint256 amount);

    /// @notice `account` withdrew deferred payouts to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                              VIEW FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The ERC20 every deal of this market is priced, collateralised and paid in.
    function token() external view returns (IERC20);

    /// @notice The most mediators a deal may name.
    function MAX_MEDIATORS() external view returns (uint256);

    /// @notice The key a deal is stored under: keccak256(abi.encode(dealId, jobCreator, resourceProvider)).
    function dealKey(bytes32 dealId, address jobCreator, address resourceProvider) external pure returns (bytes32);

    /// @notice The stored record of a deal (all zero if it does not exist).
    function getDeal(bytes32 dealKey) external view returns (DealRecord memory);

    /// @notice The deal's current state. Reverts with `DealMarket_DealNotFound` if it does not exist.
    function getDealState(bytes32 dealKey) external view returns (AgreementState);

    /// @notice The mediator draw of a deal under mediation (all zero otherwise).
    function getMediationDraw(bytes32 dealKey) external view returns (MediationDraw memory);

    /// @notice The mediator drawn for a deal in `ResultsChecked`.
    /// @dev Reverts with `DealMarket_DrawPending` inside the draw block (its hash does not exist yet) and with
    /// `DealMarket_DrawExpired` once the hash is older than 256 blocks and the draw was not fixed.
    function drawnMediator(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external view returns (address mediator, uint8 mediatorIndex);

    /// @notice The EIP-712 struct hash of the terms: what the commitment and signed agreements are built on.
    function hashTerms(DealTerms calldata terms) external pure returns (bytes32);

    /// @notice The EIP-712 digest each party signs to agree to `terms` in one transaction.
    function agreementDigest(
        bytes32 dealId,
        DealTerms calldata terms,
        uint256 deadline
    ) external view returns (bytes32);

    /// @notice Payouts whose transfer failed, withdrawable by `account`.
    function deferredPayouts(address account) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Agree to a deal on the two-step path: the job creator and the resource provider each call this
    /// with identical terms, in either order. Each escrows its collateral as it agrees: the job creator the
    /// payment collateral plus the judge-results timeout collateral, the provider the submit-results timeout
    /// collateral.
    /// @dev The first call creates the deal in `DealNegotiating`; the second must match the terms exactly and
    /// come before the agree deadline, and moves the deal to `DealAgreed`.
    /// Emits {DealCreated} (first call), {PartyAgreed}, {DealStateChange} and {Payment}s.
    /// @param dealId The sha256 digest of the deal's CID; must not be zero.
    /// @param terms The deal terms; at least one and at most MAX_MEDIATORS non-zero mediators, distinct non-zero
    /// parties.
    function agree(bytes32 dealId, DealTerms calldata terms) external;

    /// @notice Agree to a deal in one transaction carrying both parties' EIP-712 signatures over
    /// `Agreement(dealId, terms, deadline)`. Anyone may submit it (typically the solver). Both parties escrow as
    /// in `agree`. A deal key can be agreed once, so a signature cannot be replayed; `deadline` bounds its life.
    /// Nobody but the two parties can create a record under the key, so nobody can make this fail in advance.
    /// @dev Smart-contract parties sign with ERC-1271. A party that submits the transaction itself needs no
    /// signature of its own (pass empty bytes). Emits {DealCreated}, {DealStateChange} and {Payment}s.
    /// @param deadline The last timestamp at which the signatures are accepted.
    function agreeWithSignatures(
        bytes32 dealId,
        DealTerms calldata terms,
        uint256 deadline,
        bytes calldata jobCreatorSignature,
        bytes calldata resourceProviderSignature
    ) external;

    /// @notice The resource provider submits the results before the submit deadline. It escrows the results
    /// collateral (resultsCollateralMultiple × job cost) and gets its submit-results timeout collateral back.
    /// @dev Only the resource provider, in `DealAgreed`. Emits {ResultAdded}, {DealStateChange} and {Payment}s.
    /// @param resultsId The sha256 digest of the results' CID.
    /// @param instructionCount The instructions the job took, which the job cost is priced on.
    function addResult(bytes32 dealId, DealTerms calldata terms, bytes32 resultsId, uint64 instructionCount) external;

    /// @notice The job creator accepts the results: the provider is paid min(job cost, payment collateral) and
    /// gets its results collateral back; the job creator gets the rest of its payment collateral and its
    /// judge-results timeout collateral back.
    /// @dev Only the job creator, in `ResultsSubmitted`, before the judge deadline. Emits {DealStateChange} and
    /// {Payment}s.
    function acceptResult(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice The job creator disputes the results: it escrows the mediation fee, gets its judge-results
    /// timeout collateral back, and a mediator will be drawn from the deal's mediators by the hash of this block.
    /// @dev Only the job creator, in `ResultsSubmitted`, before the judge deadline. No transaction of this block,
    /// the job creator's included, can know the block's hash, so the job creator cannot choose the mediator by
    /// reverting. Emits {MediationRequested}, {DealStateChange} and {Payment}s.
    function checkResult(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice Fixes the mediator draw on chain, so that it survives the 256 blocks whose hashes the EVM keeps;
    /// if nobody fixed it within them, draws again from the hash of the current block. Anyone may call it (the
    /// drawn mediator, to keep its fee; either party). The mediate deadline does not move.
    /// @dev In `ResultsChecked`, before the mediate deadline (`DealMarket_DeadlinePassed`: only the timeout remains);
    /// not inside the draw block (`DealMarket_DrawPending`); not once fixed (`DealMarket_MediatorAlreadyDrawn`). Emits {MediatorDrawn}, or {MediationRequested} for a new draw.
    function drawMediator(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice The drawn mediator finds the results correct: settled as an accept, and the mediator is paid
    /// the mediation fee.
    /// @dev Only the drawn mediator (see `drawnMediator`), in `ResultsChecked`, before the mediate deadline.
    function mediationAcceptResult(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice The drawn mediator finds the results wrong: the job creator gets its payment collateral back
    /// and the provider's results collateral (slashed to it); the mediator is paid the mediation fee.
    /// @dev Only the drawn mediator (see `drawnMediator`), in `ResultsChecked`, before the mediate deadline.
    function mediationRejectResult(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice The other party did not agree in time: the party that agreed gets its escrow back.
    /// @dev Only the party that agreed, in `DealNegotiating`, after the agree deadline. Moves to `TimeoutAgree`.
    function timeoutAgree(bytes32 dealId, DealTerms calldata terms) external;

    /// @notice The provider did not submit results in time: its submit-results timeout collateral is slashed
    /// to the job creator, which also gets all of its own escrow back.
    /// @dev Only the job creator, in `DealAgreed`, after the submit deadline. Moves to `TimeoutSubmitResults`.
    function timeoutSubmitResults(bytes32 dealId, DealTerms calldata terms) external;

    /// @notice The job creator neither accepted nor checked in time; silence is acceptance: the provider is
    /// paid as on accept, gets its results collateral back, and receives the job creator's judge-results
    /// timeout collateral.
    /// @dev Only the resource provider, in `ResultsSubmitted`, after the judge deadline.
    function timeoutJudgeResults(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice The mediator did not decide in time: everyone gets its escrow back (the job creator its payment
    /// collateral and the mediation fee, the provider its results collateral).
    /// @dev Only the job creator or the resource provider, in `ResultsChecked`, after the mediate deadline.
    /// The draw does not matter here: the timeout is claimable whoever was drawn, and whether or not a draw
    /// was fixed.
    function timeoutMediateResults(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice Withdraw the caller's deferred payouts to `to` (any address, e.g. when the caller's own address
    /// cannot receive the token).
    /// @dev Emits {Withdrawn}.
    function withdraw(address to) external;
}
