// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ITaskVerifier
/// @notice A task type whose responses can be checked on chain: `TaskManager.challengeResponse` asks it.
interface ITaskVerifier {
    /// @notice Whether `response` is the correct response to `payload`.
    function isCorrect(bytes calldata payload, bytes calldata response) external view returns (bool);
}
