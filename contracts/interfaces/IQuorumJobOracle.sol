// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IJobEscrow } from "./IJobEscrow.sol";
import { ITaskManager } from "./ITaskManager.sol";

/// @title IQuorumJobOracle
/// @notice An operator quorum as a job's oracle: a job's oracle set names this contract (`oracleContract`, no
/// signers, threshold 0); once the job has completed, anyone asks for an attestation, which creates a
/// `TaskManager` task for the quorum; the quorum's final response is then applied as the escrow's
/// `attestByOracle`.
/// @dev The task's payload is `abi.encode(jobId, machineId, requester, provider, reportedRunSeconds)`; its response
/// is `abi.encode(uint16 bps, uint64 runSeconds)` (64 bytes; anything else applies nothing, and the escrow refuses
/// bps above 10000 or a run longer than the job's time limit). The task has no on-chain verifier (the outcome of a
/// job cannot be checked on chain), so a response is final once it lands. A task that expired unanswered (or was
/// challenged) may be asked again (a new attempt, a new task) while the job's attestation window holds. The
/// contract holds no funds. No admin.
interface IQuorumJobOracle {
    /// @notice An attestation was asked for a job: task `taskId` (attempt `attempt`, from 0).
    event AttestationRequested(bytes32 indexed jobId, bytes32 indexed taskId, uint32 attempt);

    /// @notice The quorum's attestation was applied to the job.
    event AttestationApplied(
        bytes32 indexed jobId,
        bytes32 indexed taskId,
        address indexed aggregator,
        uint16 bps,
        uint64 runSeconds
    );

    /// @notice The escrow whose jobs this contract attests.
    function escrow() external view returns (IJobEscrow);

    /// @notice The task manager its tasks live in.
    function taskManager() external view returns (ITaskManager);

    /// @notice The quorum that attests, the stake share it needs, and the seconds it has per task.
    function quorum() external view returns (uint8);

    /// @notice See `quorum`.
    function thresholdPercent() external view returns (uint8);

    /// @notice See `quorum`.
    function responseWindow() external view returns (uint64);

    /// @notice The task of a job's latest attestation request (0 if none) and how many were made.
    function attestationTask(bytes32 jobId) external view returns (bytes32 taskId, uint32 attempts);

    /// @notice Asks the quorum to attest a completed job whose oracle is this contract (anyone may call).
    /// @return taskId The task created.
    /// @dev Reverts: `QuorumJobOracle_NotJobOracle` (the job's oracle set is another, or there is no such job),
    /// `_NotAttestable` (not completed, settled, or its attestation window closed), `_AttestationPending` (the
    /// latest task is still open or answered), and the task manager's errors (e.g. an empty quorum). Emits
    /// {AttestationRequested}.
    function requestAttestation(bytes32 jobId) external returns (bytes32 taskId);

    /// @notice Applies the quorum's final response to the job (anyone may call).
    /// @param response The task's response, `abi.encode(uint16 bps, uint64 runSeconds)`.
    /// @dev Reverts: `QuorumJobOracle_NoAttestationTask`, `_AttestationNotFinal`, `_ResponseMismatch` (the response
    /// does not hash to the task's), `_InvalidResponse` (not two words fitting uint16 and uint64), and the
    /// escrow's errors (e.g. its window closed, bps above 10000). Emits {AttestationApplied}.
    function applyAttestation(bytes32 jobId, bytes calldata response) external;
}
