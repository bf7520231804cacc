// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import { TaskStore } from "./abstracts/TaskStore.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { ITaskManager } from "./interfaces/ITaskManager.sol";
import { ITaskVerifier } from "./interfaces/ITaskVerifier.sol";
import { BLS12381 } from "./libraries/BLS12381.sol";
import { Errors } from "./libraries/Errors.sol";
import { QuorumHashing } from "./libraries/QuorumHashing.sol";
import { QuorumCheckpoint, QuorumSignature, Task, TaskStatus } from "./types/QuorumTypes.sol";

/// @title TaskManager
/// @notice See {ITaskManager}. The signature check reads one quorum checkpoint and, per non-signer, one key
/// record and one stake checkpoint; the keys stay in calldata until they are subtracted from the aggregate.
contract TaskManager is ITaskManager, TaskStore, EIP712 {
    /// @notice Deploys the task manager on an operator registry.
    /// @param operatorRegistry The registry responses are checked against.
    /// @param slot Seconds each drawn aggregator has before the next takes over (off chain).
    /// @param window Seconds after a response in which it can be challenged.
    constructor(
        IOperatorRegistry operatorRegistry,
        uint64 slot,
        uint64 window
    ) TaskStore(operatorRegistry, slot, window) EIP712("Accord TaskManager", "1") {}

    /// @inheritdoc ITaskManager
    function responseDigest(bytes32 id, bytes32 responseHash) public view override returns (bytes32) {
        return _hashTypedDataV4(QuorumHashing.hashTaskResponse(id, responseHash));
    }

    /// @inheritdoc ITaskManager
    function checkSignatures(
        bytes32 digest,
        uint8 quorum,
        uint32 referenceBlock,
        QuorumSignature calldata signature
    ) external view override returns (uint96 signedStake, uint96 totalStake, address[] memory nonSigners) {
        return _checkSignatures(digest, quorum, referenceBlock, signature);
    }

    /*//////////////////////////////////////////////////////////////
                                 TASKS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITaskManager
    function createTask(
        bytes32 salt,
        uint8 quorum,
        uint8 thresholdPercent,
        uint64 responseWindow,
        address verifier,
        bytes calldata payload
    ) external override returns (bytes32 id) {
        id = taskId(msg.sender, salt);
        Task storage task = _tasks[id];
        if (task.status != TaskStatus.None) revert Errors.TaskManager_TaskExists(id);
        if (thresholdPercent == 0 || thresholdPercent > 100)
            revert Errors.TaskManager_InvalidThreshold(thresholdPercent);
        if (responseWindow < MIN_RESPONSE_WINDOW || responseWindow > MAX_RESPONSE_WINDOW) {
            revert Errors.TaskManager_InvalidResponseWindow(responseWindow, MIN_RESPONSE_WINDOW, MAX_RESPONSE_WINDOW);
        }
        if (payload.length > MAX_PAYLOAD_BYTES)
            revert Errors.TaskManager_PayloadTooLong(payload.length, MAX_PAYLOAD_BYTES);
        uint32 referenceBlock = uint32(block.number - 1);
        uint96 totalStake = _stakeAtPreviousBlock(quorum);
        if (totalStake == 0) revert Errors.TaskManager_EmptyQuorum(quorum, referenceBlock);

        bytes32 seed = keccak256(abi.encode(blockhash(referenceBlock), id));
        uint64 deadline = uint64(block.timestamp) + responseWindow;
        task.creator = msg.sender;
        task.quorum = quorum;
        task.thresholdPercent = thresholdPercent;
        task.status = TaskStatus.Open;
        task.referenceBlock = referenceBlock;
        task.createdAt = uint64(block.timestamp);
        task.responseDeadline = deadline;
        task.verifier = verifier;
        task.payloadHash = keccak256(payload);
        task.seed = seed;
        // Known now (the reference block is past), so the response only checks it rather than storing it.
        task.totalStake = totalStake;
        emit TaskCreated(id, msg.sender, quorum, thresholdPercent, referenceBlock, deadline, verifier, seed, payload);
    }

    /// @inheritdoc ITaskManager
    function respondToTask(bytes32 id, bytes calldata response, QuorumSignature calldata signature) external override {
        Task storage task = _tasks[id];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) revert Errors.TaskManager_TaskNotFound(id);
        if (status != TaskStatus.Open) revert Errors.TaskManager_TaskNotOpen(id, status);
        uint64 deadline = task.responseDeadline;
        if (block.timestamp > deadline) revert Errors.TaskManager_DeadlinePassed(id, deadline);
        if (response.length > MAX_RESPONSE_BYTES) {
            revert Errors.TaskManager_ResponseTooLong(response.length, MAX_RESPONSE_BYTES);
        }
        bytes32 responseHash = keccak256(response);
        (uint96 signedStake, uint96 totalStake, address[] memory nonSigners) = _checkSignatures(
            responseDigest(id, responseHash),
            task.quorum,
            task.referenceBlock,
            signature
        );
        uint8 threshold = task.thresholdPercent;
        if (uint256(signedStake) * 100 < uint256(totalStake) * threshold) {
            revert Errors.TaskManager_BelowThreshold(signedStake, totalStake, threshold);
        }
        task.status = TaskStatus.Responded;
        task.respondedAt = uint64(block.timestamp);
        task.responseHash = responseHash;
        task.aggregator = msg.sender;
        task.signedStake = signedStake;
        emit TaskResponded(id, msg.sender, responseHash, signedStake, totalStake, nonSigners, response);
    }

    /// @inheritdoc ITaskManager
    function challengeResponse(bytes32 id, bytes calldata payload, bytes calldata response) external override {
        Task storage task = _tasks[id];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) revert Errors.TaskManager_TaskNotFound(id);
        if (status != TaskStatus.Responded) revert Errors.TaskManager_NotResponded(id, status);
        address verifier = task.verifier;
        if (verifier == address(0)) revert Errors.TaskManager_NotChallengeable(id);
        uint64 closesAt = task.respondedAt + challengeWindow;
        if (block.timestamp > closesAt) revert Errors.TaskManager_ChallengeWindowOver(id, closesAt);
        if (keccak256(payload) != task.payloadHash) revert Errors.TaskManager_PayloadMismatch(id);
        if (keccak256(response) != task.responseHash) revert Errors.TaskManager_ResponseMismatch(id);
        if (ITaskVerifier(verifier).isCorrect(payload, response)) revert Errors.TaskManager_ResponseCorrect(id);
        task.status = TaskStatus.Challenged;
        emit ResponseChallenged(id, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev The quorum's stake at block.number − 1: the last checkpoint, or the one before it when the last was
    /// written in this block (checkpoints are per block, so no other can be in force).
    function _stakeAtPreviousBlock(uint8 quorum) private view returns (uint96) {
        uint256 count = registry.quorumCheckpointCount(quorum);
        if (count == 0) return 0;
        QuorumCheckpoint memory checkpoint = registry.quorumCheckpoint(quorum, count - 1);
        if (checkpoint.fromBlock == block.number) {
            if (count == 1) return 0;
            checkpoint = registry.quorumCheckpoint(quorum, count - 2);
        }
        return checkpoint.totalStake;
    }

    /// @dev See {ITaskManager-checkSignatures}. Signers' key = the quorum's aggregate − Σ non-signers' keys
    /// (subtracted in place in memory); one pairing: e(signature, −g2) · e(H(digest), signers' key) = 1.
    function _checkSignatures(
        bytes32 digest,
        uint8 quorum,
        uint32 referenceBlock,
        QuorumSignature calldata signature
    ) private view returns (uint96 signedStake, uint96 totalStake, address[] memory nonSigners) {
        bytes[] calldata keys = signature.nonSignerKeys;
        uint256 count = keys.length;
        if (signature.nonSignerStakeIndices.length != count) {
            revert Errors.TaskManager_LengthMismatch(count, signature.nonSignerStakeIndices.length);
        }
        QuorumCheckpoint memory checkpoint = registry.quorumCheckpointAt(
            quorum,
            referenceBlock,
            signature.quorumCheckpointIndex
        );
        bytes memory apk = signature.quorumApk;
        bytes32 apkHash = keccak256(apk);
        if (apkHash != checkpoint.apkHash) revert Errors.TaskManager_ApkMismatch(apkHash, checkpoint.apkHash);

        nonSigners = new address[](count);
        uint256 nonSignerStake;
        bytes32 previous;
        for (uint256 i = 0; i < count; ++i) {
            bytes calldata key = keys[i];
            bytes32 keyHash = keccak256(key);
            if (keyHash <= previous) revert Errors.TaskManager_UnsortedNonSigners(i);
            previous = keyHash;
            (address operator, uint96 stake) = registry.keyStakeAt(
                keyHash,
                quorum,
                referenceBlock,
                signature.nonSignerStakeIndices[i]
            );
            if (operator == address(0)) revert Errors.TaskManager_UnknownNonSigner(keyHash);
            if (stake == 0) revert Errors.TaskManager_NonSignerNotInQuorum(operator, keyHash);
            nonSigners[i] = operator;
            nonSignerStake += stake;
            // A registered key is exactly 256 bytes (its hash matched), so the in-place subtraction reads no more.
            BLS12381.subG2InPlace(apk, key);
        }
        if (BLS12381.isInfinity(apk)) revert Errors.TaskManager_NoSigners();

        bytes memory sig = signature.signature;
        if (
            sig.length != BLS12381.G1_BYTES ||
            BLS12381.isInfinity(sig) ||
            !BLS12381.verify(sig, apk, digest, QuorumHashing.SIGNATURE_DST)
        ) revert Errors.TaskManager_InvalidSignature();
        totalStake = checkpoint.totalStake;
        signedStake = uint96(totalStake - nonSignerStake);
    }
}
