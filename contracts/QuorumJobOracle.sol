// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { IJobEscrow } from "./interfaces/IJobEscrow.sol";
import { IQuorumJobOracle } from "./interfaces/IQuorumJobOracle.sol";
import { ITaskManager } from "./interfaces/ITaskManager.sol";
import { EscrowHashing } from "./libraries/EscrowHashing.sol";
import { Errors } from "./libraries/Errors.sol";
import { Job } from "./types/EscrowTypes.sol";
import { Task, TaskStatus } from "./types/QuorumTypes.sol";

/// @title QuorumJobOracle
/// @notice See {IQuorumJobOracle}.
contract QuorumJobOracle is IQuorumJobOracle, ReentrancyGuardTransient {
    /// @notice A job's latest attestation task and how many were asked.
    struct AttestationTask {
        bytes32 taskId;
        uint32 attempts;
    }

    /// @inheritdoc IQuorumJobOracle
    IJobEscrow public immutable override escrow;
    /// @inheritdoc IQuorumJobOracle
    ITaskManager public immutable override taskManager;
    /// @inheritdoc IQuorumJobOracle
    uint8 public immutable override quorum;
    /// @inheritdoc IQuorumJobOracle
    uint8 public immutable override thresholdPercent;
    /// @inheritdoc IQuorumJobOracle
    uint64 public immutable override responseWindow;

    bytes32 private immutable _oracleHash;

    mapping(bytes32 jobId => AttestationTask task) private _tasks;

    /// @notice Deploys the oracle for one quorum of a task manager, on one escrow.
    /// @param jobEscrow The escrow whose jobs it attests.
    /// @param tasks The task manager its attestation tasks live in.
    /// @param attestingQuorum The quorum that attests.
    /// @param threshold The share of the quorum's stake an attestation needs, 1..100.
    /// @param window The seconds the quorum has per task, within the task manager's bounds.
    constructor(IJobEscrow jobEscrow, ITaskManager tasks, uint8 attestingQuorum, uint8 threshold, uint64 window) {
        if (address(jobEscrow) == address(0) || address(tasks) == address(0)) {
            revert Errors.QuorumJobOracle_ZeroAddress();
        }
        if (threshold == 0 || threshold > 100) revert Errors.QuorumJobOracle_InvalidThreshold(threshold);
        if (window < tasks.MIN_RESPONSE_WINDOW() || window > tasks.MAX_RESPONSE_WINDOW()) {
            revert Errors.QuorumJobOracle_InvalidResponseWindow(window);
        }
        escrow = jobEscrow;
        taskManager = tasks;
        quorum = attestingQuorum;
        thresholdPercent = threshold;
        responseWindow = window;
        _oracleHash = EscrowHashing.hashOracleContract(address(this));
    }

    /// @inheritdoc IQuorumJobOracle
    function attestationTask(bytes32 jobId) external view override returns (bytes32 taskId, uint32 attempts) {
        AttestationTask storage task = _tasks[jobId];
        return (task.taskId, task.attempts);
    }

    /// @inheritdoc IQuorumJobOracle
    function requestAttestation(bytes32 jobId) external override nonReentrant returns (bytes32 taskId) {
        Job memory job = escrow.getJob(jobId);
        if (job.oracleHash != _oracleHash) revert Errors.QuorumJobOracle_NotJobOracle(jobId);
        if (!escrow.isAttestable(jobId)) revert Errors.QuorumJobOracle_NotAttestable(jobId, job.status);
        AttestationTask storage attestation = _tasks[jobId];
        uint32 attempt = attestation.attempts;
        if (attempt != 0) {
            TaskStatus status = taskManager.taskStatus(attestation.taskId);
            if (status != TaskStatus.Expired && status != TaskStatus.Challenged) {
                revert Errors.QuorumJobOracle_AttestationPending(jobId, attestation.taskId, status);
            }
        }
        bytes32 salt = keccak256(abi.encode(jobId, attempt));
        taskId = taskManager.taskId(address(this), salt);
        attestation.taskId = taskId;
        attestation.attempts = attempt + 1;
        emit AttestationRequested(jobId, taskId, attempt);
        bytes memory payload = abi.encode(jobId, job.machineId, job.requester, job.provider, job.reportedRunSeconds);
        taskManager.createTask(salt, quorum, thresholdPercent, responseWindow, address(0), payload);
    }

    /// @inheritdoc IQuorumJobOracle
    function applyAttestation(bytes32 jobId, bytes calldata response) external override nonReentrant {
        AttestationTask storage attestation = _tasks[jobId];
        if (attestation.attempts == 0) revert Errors.QuorumJobOracle_NoAttestationTask(jobId);
        bytes32 taskId = attestation.taskId;
        if (!taskManager.isFinal(taskId)) revert Errors.QuorumJobOracle_AttestationNotFinal(taskId);
        Task memory task = taskManager.getTask(taskId);
        if (keccak256(response) != task.responseHash) revert Errors.QuorumJobOracle_ResponseMismatch(taskId);
        if (response.length != 64) revert Errors.QuorumJobOracle_InvalidResponse(taskId);
        (uint256 bps, uint256 runSeconds) = abi.decode(response, (uint256, uint256));
        if (bps > type(uint16).max || runSeconds > type(uint64).max) {
            revert Errors.QuorumJobOracle_InvalidResponse(taskId);
        }
        emit AttestationApplied(jobId, taskId, task.aggregator, uint16(bps), uint64(runSeconds));
        escrow.attestByOracle(jobId, uint16(bps), uint64(runSeconds));
    }
}
