// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IOperatorRegistry } from "./IOperatorRegistry.sol";
import { QuorumSignature, Task, TaskStatus } from "../types/QuorumTypes.sol";

/// @title ITaskManager
/// @notice Tasks for operator quorums and their BLS12-381-attested responses, checked entirely on chain: the
/// signers' aggregate key is the quorum's aggregate at the task's reference block minus the non-signers' keys, one
/// 2-pair pairing check (EIP-2537) verifies the aggregate signature, and the signed stake must reach the task's
/// threshold (`signed × 100 ≥ total × thresholdPercent`). Only the first valid response counts; for task types
/// with an on-chain verifier, anyone may prove a response wrong within the challenge window.
/// @dev The message signed is `responseDigest(taskId, keccak256(response))`, an EIP-712 digest under this
/// contract's domain, hashed to G1 as RFC 9380's BLS12381G1_XMD:SHA-256_SSWU_RO_ with the DST
/// `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_`. Task IDs are `keccak256(abi.encode(creator, salt))`.
///
/// Aggregation needs no cluster: the task's `seed` orders the quorum's operators (at the reference block) by
/// `keccak256(abi.encode(seed, operator))`; the k-th in that order owns slot k, the `aggregatorSlot` seconds
/// from `createdAt + k·aggregatorSlot`; the contract accepts a valid aggregate from anyone, at any time before the
/// deadline, so a silent or byzantine aggregator can only be replaced, never block the task. The contract holds no
/// funds. Bounds: payloads of at most MAX_PAYLOAD_BYTES, responses of at most MAX_RESPONSE_BYTES; `respondToTask`
/// loops once over the non-signers it is given (calldata the submitter pays for).
interface ITaskManager {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A task was created (operators follow this event: it is how the task reaches them).
    event TaskCreated(
        bytes32 indexed taskId,
        address indexed creator,
        uint8 indexed quorum,
        uint8 thresholdPercent,
        uint32 referenceBlock,
        uint64 responseDeadline,
        address verifier,
        bytes32 seed,
        bytes payload
    );

    /// @notice The task's response landed.
    /// @param nonSigners The quorum's operators who did not sign, in the order given (by key hash).
    event TaskResponded(
        bytes32 indexed taskId,
        address indexed aggregator,
        bytes32 responseHash,
        uint96 signedStake,
        uint96 totalStake,
        address[] nonSigners,
        bytes response
    );

    /// @notice Someone proved the task's response wrong.
    event ResponseChallenged(bytes32 indexed taskId, address indexed challenger);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The longest payload.
    function MAX_PAYLOAD_BYTES() external view returns (uint256);

    /// @notice The longest response.
    function MAX_RESPONSE_BYTES() external view returns (uint256);

    /// @notice The shortest and longest response windows (seconds).
    function MIN_RESPONSE_WINDOW() external view returns (uint64);

    /// @notice See `MIN_RESPONSE_WINDOW`.
    function MAX_RESPONSE_WINDOW() external view returns (uint64);

    /// @notice The operator registry responses are checked against.
    function registry() external view returns (IOperatorRegistry);

    /// @notice Seconds each aggregator in a task's drawn order has before the next one takes over (off chain).
    function aggregatorSlot() external view returns (uint64);

    /// @notice Seconds after a response in which it can be challenged (tasks with a verifier).
    function challengeWindow() external view returns (uint64);

    /// @notice The ID a creator's task with `salt` gets.
    function taskId(address creator, bytes32 salt) external pure returns (bytes32);

    /// @notice A task's record (all zero if none).
    function getTask(bytes32 taskId) external view returns (Task memory);

    /// @notice A task's status, Expired for an Open task past its deadline.
    function taskStatus(bytes32 taskId) external view returns (TaskStatus);

    /// @notice Whether the task's response is final: responded, not challenged, and (with a verifier) its
    /// challenge window over.
    function isFinal(bytes32 taskId) external view returns (bool);

    /// @notice The EIP-712 digest the quorum signs for `response` (given as its hash) to task `taskId`.
    function responseDigest(bytes32 taskId, bytes32 responseHash) external view returns (bytes32);

    /// @notice Checks a quorum's aggregate signature over `digest` against the quorum's operators at
    /// `referenceBlock`: the signers' key = the quorum's aggregate − the non-signers' keys, one pairing check.
    /// @return signedStake The stake of the signers.
    /// @return totalStake The quorum's stake at `referenceBlock`.
    /// @return nonSigners The non-signers' addresses, in the order given.
    /// @dev Reverts: `TaskManager_UnsortedNonSigners` (not strictly increasing key hashes: also duplicates),
    /// `_LengthMismatch`, `TaskManager_UnknownNonSigner` (a key no operator registered),
    /// `_NonSignerNotInQuorum` (its stake at the reference block is 0), `OperatorRegistry_WrongCheckpointIndex`,
    /// `TaskManager_ApkMismatch` (the given aggregate is not the checkpoint's), `_InvalidSignature` (not 128
    /// bytes, the point at infinity, or the pairing fails), `_NoSigners` (every operator is a non-signer).
    function checkSignatures(
        bytes32 digest,
        uint8 quorum,
        uint32 referenceBlock,
        QuorumSignature calldata signature
    ) external view returns (uint96 signedStake, uint96 totalStake, address[] memory nonSigners);

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a task for quorum `quorum`: its operators at the previous block must attest a response within
    /// `responseWindow` seconds, with at least `thresholdPercent` of the quorum's stake.
    /// @param verifier The task type's on-chain checker, or address(0) if responses cannot be checked on chain.
    /// @return id keccak256(abi.encode(msg.sender, salt)).
    /// @dev Reverts: `TaskManager_TaskExists`, `_InvalidThreshold` (0 or above 100), `_InvalidResponseWindow`,
    /// `_PayloadTooLong`, `_EmptyQuorum` (no stake at the reference block: a threshold of nothing would pass).
    /// Emits {TaskCreated}.
    function createTask(
        bytes32 salt,
        uint8 quorum,
        uint8 thresholdPercent,
        uint64 responseWindow,
        address verifier,
        bytes calldata payload
    ) external returns (bytes32 id);

    /// @notice Submits the quorum's attested response to a task; the first valid one counts.
    /// @dev Reverts: `TaskManager_TaskNotFound`, `_TaskNotOpen` (already responded), `_DeadlinePassed`,
    /// `_ResponseTooLong`, what `checkSignatures` reverts with, `_BelowThreshold`. Emits {TaskResponded}.
    function respondToTask(bytes32 taskId, bytes calldata response, QuorumSignature calldata signature) external;

    /// @notice Proves the task's response wrong: its verifier says `response` is not the answer to `payload`.
    /// @dev Reverts: `TaskManager_TaskNotFound`, `_NotResponded` (status not Responded), `_NotChallengeable` (no
    /// verifier), `_ChallengeWindowOver`, `_PayloadMismatch`, `_ResponseMismatch`, `_ResponseCorrect`. Emits
    /// {ResponseChallenged}.
    function challengeResponse(bytes32 taskId, bytes calldata payload, bytes calldata response) external;
}
