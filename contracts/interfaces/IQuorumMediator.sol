// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IDealMarket } from "./IDealMarket.sol";
import { ITaskManager } from "./ITaskManager.sol";
import { DealTerms } from "../types/DataTypes.sol";

/// @title IQuorumMediator
/// @notice An operator quorum as a deal's mediator: a deal names this contract among its mediators; when it is
/// drawn, anyone asks for a verdict, which creates a `TaskManager` task for the quorum; the quorum's attested
/// verdict is then applied as `mediationAcceptResult` or `mediationRejectResult`.
/// @dev The task's payload is `abi.encode(dealId, jobCreator, resourceProvider, instructionCount, termsHash)`; its
/// response is `abi.encode(uint8 verdict)`, VERDICT_ACCEPT or VERDICT_REJECT (anything else applies nothing). A
/// task that expired unanswered may be asked again (a new attempt, a new task) while the deal's mediate deadline
/// holds. The mediation fee the deal pays this contract is credited to the aggregator that submitted the verdict
/// (it paid the gas), who withdraws it; the contract holds exactly the sum of the credits. No admin.
interface IQuorumMediator {
    /// @notice A verdict was asked for a deal: task `taskId` (attempt `attempt`, from 0).
    event VerdictRequested(bytes32 indexed dealId, bytes32 indexed taskId, uint32 attempt);

    /// @notice A verdict was applied to the deal; `fee` was credited to `aggregator`.
    event VerdictApplied(
        bytes32 indexed dealId,
        bytes32 indexed taskId,
        address indexed aggregator,
        bool accepted,
        uint256 fee
    );

    /// @notice An account withdrew its credited fees.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    /// @notice The response that accepts the results.
    function VERDICT_ACCEPT() external view returns (uint8);

    /// @notice The response that rejects the results.
    function VERDICT_REJECT() external view returns (uint8);

    /// @notice The market whose deals this contract mediates.
    function market() external view returns (IDealMarket);

    /// @notice The task manager its tasks live in.
    function taskManager() external view returns (ITaskManager);

    /// @notice The quorum that attests, the stake share it needs, and the seconds it has per task.
    function quorum() external view returns (uint8);

    /// @notice See `quorum`.
    function thresholdPercent() external view returns (uint8);

    /// @notice See `quorum`.
    function responseWindow() external view returns (uint64);

    /// @notice The task of a deal's latest verdict request (0 if none) and how many were made.
    function verdictTask(bytes32 dealKey) external view returns (bytes32 taskId, uint32 attempts);

    /// @notice Fees credited to an account and not yet withdrawn.
    function credit(address account) external view returns (uint256);

    /// @notice Asks the quorum for a verdict on a deal this contract was drawn to mediate.
    /// @return taskId The task created.
    /// @dev Reverts: `QuorumMediator_NotDrawn` (the market's draw names another mediator; the market's own
    /// reverts pass through while the draw is pending or the deal is not under mediation),
    /// `QuorumMediator_VerdictPending` (the latest task is still open or answered). Emits {VerdictRequested}.
    function requestVerdict(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external returns (bytes32 taskId);

    /// @notice Applies the quorum's final verdict on the deal (anyone may call).
    /// @dev Reverts: `QuorumMediator_NoVerdictTask`, `_VerdictNotFinal`, `_InvalidVerdict` (the response is
    /// neither verdict), and what the market reverts with (e.g. its mediate deadline passed). Emits
    /// {VerdictApplied}.
    function applyVerdict(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external;

    /// @notice Pays the caller's credited fees to `to`.
    /// @dev Reverts: `QuorumMediator_NothingToWithdraw`, `_ZeroAddress`. Emits {Withdrawn}.
    function withdraw(address to) external;
}
