// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Operator quorums (OperatorRegistry, TaskManager, QuorumMediator). BLS12-381 points are `bytes` in the EIP-2537
// encoding the precompiles take: a field element is 64 bytes big-endian with the top 16 bytes zero; G1 is x, y
// (128 bytes); G2 is x.c0, x.c1, y.c0, y.c1 (256 bytes); the point at infinity is all zeros. Public keys are in
// G2 and signatures in G1 (the cheap group to hash to on chain). Enum indices are read by the indexer and the
// TypeScript model (src/quorum): new members go at the end.

/// @notice Where an operator stands. Active: bonded and counted in its quorums. Unbonding: out of every quorum
/// from the block it asked to leave, its bond locked until `unbondingEndsAt`. Withdrawn: bond paid back; the
/// address may register again (with a new key: a key once registered is never accepted again).
enum OperatorStatus {
    None,
    Active,
    Unbonding,
    Withdrawn
}

/// @notice An operator's record.
/// @param keyHash keccak256 of its G2 public key's encoding (what non-signers are sorted by).
/// @param bond The market token it has bonded: its stake in each of its quorums.
/// @param quorums Bit q set = the operator is in quorum q (q < MAX_QUORUMS).
/// @param status See {OperatorStatus}.
/// @param unbondingEndsAt When an unbonding operator may withdraw its bond (0 otherwise).
/// @param url Where its operator node answers (the aggregator's inbox).
// Already the tightest order: keyHash, then bond, quorums, status and unbondingEndsAt in one slot, then the URL
// (the packing rule's estimate disagrees).
// solhint-disable-next-line gas-struct-packing
struct Operator {
    bytes32 keyHash;
    uint96 bond;
    uint8 quorums;
    OperatorStatus status;
    uint64 unbondingEndsAt;
    string url;
}

/// @notice A quorum's state from block `fromBlock` on (until the next checkpoint).
/// @param fromBlock The block the state took effect in.
/// @param operatorCount Operators in the quorum.
/// @param totalStake Sum of its operators' bonds.
/// @param apkHash keccak256 of the encoding of the aggregate (sum) of its operators' G2 keys.
struct QuorumCheckpoint {
    uint32 fromBlock;
    uint32 operatorCount;
    uint96 totalStake;
    bytes32 apkHash;
}

/// @notice An operator's stake in one quorum from block `fromBlock` on (0: not a member).
struct StakeCheckpoint {
    uint32 fromBlock;
    uint96 stake;
}

/// @notice Where a task stands. Open: waiting for a response until `responseDeadline` (after it, it has
/// expired: `taskStatus` says Expired, storage keeps Open). Responded: a valid aggregate landed. Challenged: its
/// response was proven wrong on chain within the challenge window.
enum TaskStatus {
    None,
    Open,
    Responded,
    Challenged,
    Expired
}

/// @notice A task for a quorum.
/// @param creator Who created it (its ID is keccak256(abi.encode(creator, salt))).
/// @param quorum The quorum that must attest.
/// @param thresholdPercent The share of the quorum's stake at `referenceBlock` that must sign, 1..100.
/// @param status See {TaskStatus} (never Expired in storage).
/// @param referenceBlock The operator set the response is checked against: the block before creation.
/// @param createdAt Creation time: aggregator slots count from it.
/// @param responseDeadline The last second a response is accepted.
/// @param totalStake The quorum's stake at `referenceBlock` (known at creation, packed with the times).
/// @param verifier The on-chain checker of responses (address(0): the task type cannot be checked on chain).
/// @param respondedAt When the response landed (0 until then).
/// @param payloadHash keccak256 of the payload.
/// @param seed Draws the aggregators' order: keccak256(abi.encode(blockhash(referenceBlock), taskId)).
/// @param responseHash keccak256 of the accepted response (0 until then).
/// @param aggregator Who submitted the accepted response.
/// @param signedStake The stake that signed it.
struct Task {
    address creator;
    uint8 quorum;
    uint8 thresholdPercent;
    TaskStatus status;
    uint32 referenceBlock;
    uint64 createdAt;
    uint64 responseDeadline;
    uint96 totalStake;
    address verifier;
    uint64 respondedAt;
    bytes32 payloadHash;
    bytes32 seed;
    bytes32 responseHash;
    address aggregator;
    uint96 signedStake;
}

/// @notice A quorum's aggregate signature over a response, with what the contract needs to check it in O(1) reads
/// per non-signer (the indices are found off chain with the registry's `*IndexAt` views).
/// @param nonSignerKeys The G2 keys of the quorum's operators (at the reference block) who did not sign, in
/// strictly increasing order of key hash (so none is counted twice).
/// @param nonSignerStakeIndices For each non-signer, the index of its stake checkpoint in force at the reference block.
/// @param quorumApk The quorum's aggregate G2 key at the reference block (checked against the checkpoint's hash).
/// @param quorumCheckpointIndex The index of the quorum checkpoint in force at the reference block.
/// @param signature The signers' aggregate G1 signature.
struct QuorumSignature {
    bytes[] nonSignerKeys;
    uint32[] nonSignerStakeIndices;
    bytes quorumApk;
    uint32 quorumCheckpointIndex;
    bytes signature;
}
