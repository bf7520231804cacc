// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IOperatorRegistry } from "../interfaces/IOperatorRegistry.sol";
import { ITaskManager } from "../interfaces/ITaskManager.sol";
import { Errors } from "../libraries/Errors.sol";
import { Task, TaskStatus } from "../types/QuorumTypes.sol";

/// @title TaskStore
/// @notice The task manager's storage (tasks by ID), its bounds and configuration, and the status views.
abstract contract TaskStore is ITaskManager {
    /// @inheritdoc ITaskManager
    uint256 public constant override MAX_PAYLOAD_BYTES = 4096;
    /// @inheritdoc ITaskManager
    uint256 public constant override MAX_RESPONSE_BYTES = 1024;
    /// @inheritdoc ITaskManager
    uint64 public constant override MIN_RESPONSE_WINDOW = 1 minutes;
    /// @inheritdoc ITaskManager
    uint64 public constant override MAX_RESPONSE_WINDOW = 7 days;

    /// @inheritdoc ITaskManager
    IOperatorRegistry public immutable override registry;
    /// @inheritdoc ITaskManager
    uint64 public immutable override aggregatorSlot;
    /// @inheritdoc ITaskManager
    uint64 public immutable override challengeWindow;

    mapping(bytes32 taskId => Task task) internal _tasks;

    /// @notice Sets the registry, the aggregator slot and the challenge window.
    /// @param operatorRegistry The registry responses are checked against.
    /// @param slot Seconds per aggregator slot (read off chain by operator nodes).
    /// @param window Seconds after a response in which it can be challenged.
    constructor(IOperatorRegistry operatorRegistry, uint64 slot, uint64 window) {
        if (address(operatorRegistry) == address(0)) revert Errors.TaskManager_ZeroAddress();
        registry = operatorRegistry;
        aggregatorSlot = slot;
        challengeWindow = window;
    }

    /// @inheritdoc ITaskManager
    function taskId(address creator, bytes32 salt) public pure override returns (bytes32) {
        return keccak256(abi.encode(creator, salt));
    }

    /// @inheritdoc ITaskManager
    function getTask(bytes32 id) external view override returns (Task memory) {
        return _tasks[id];
    }

    /// @inheritdoc ITaskManager
    function taskStatus(bytes32 id) public view override returns (TaskStatus) {
        Task storage task = _tasks[id];
        TaskStatus status = task.status;
        if (status == TaskStatus.Open && block.timestamp > task.responseDeadline) return TaskStatus.Expired;
        return status;
    }

    /// @inheritdoc ITaskManager
    function isFinal(bytes32 id) external view override returns (bool) {
        Task storage task = _tasks[id];
        if (task.status != TaskStatus.Responded) return false;
        return task.verifier == address(0) || block.timestamp > uint256(task.respondedAt) + challengeWindow;
    }
}
