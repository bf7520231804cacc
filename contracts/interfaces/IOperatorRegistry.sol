// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Operator, QuorumCheckpoint, StakeCheckpoint } from "../types/QuorumTypes.sol";

/// @title IOperatorRegistry
/// @notice Operators bond the market's token and register a BLS12-381 public key (G2) with a proof of possession,
/// a URL and the quorums they serve. The registry keeps, per quorum, the aggregate key and total stake with their
/// history by block, and per operator and quorum its stake by block, so a task is checked against the operator
/// set of its reference block. Leaving takes an unbonding delay.
/// @dev Proof of possession: a BLS signature (G1, DST `BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_`) by the key
/// of `registrationDigest(operator, publicKey)`, an EIP-712 message under this contract's domain, so it is bound
/// to the operator, the chain and this registry: a rogue key (`sk·g2 − Σ others`) has no such proof. A key once
/// registered is never accepted again. Several changes within one block overwrite that block's checkpoint.
///
/// Funds: the contract holds exactly the sum of the bonds of operators not yet withdrawn. There is no admin and
/// no slashing. Bounds: at most MAX_QUORUMS quorums (an operator's loops run over at most that many).
interface IOperatorRegistry {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An operator registered (and bonded `bond`) with the key `keyHash`, in the quorums of `quorums`.
    /// @param publicKey The G2 key's EIP-2537 encoding.
    event OperatorRegistered(
        address indexed operator,
        bytes32 indexed keyHash,
        uint96 bond,
        uint8 quorums,
        string url,
        bytes publicKey
    );

    /// @notice An operator added `amount` to its bond.
    event BondIncreased(address indexed operator, uint256 amount, uint96 bond);

    /// @notice An operator changed its URL.
    event OperatorUrlUpdated(address indexed operator, string url);

    /// @notice An operator joined a quorum.
    event QuorumJoined(address indexed operator, uint8 indexed quorum);

    /// @notice An operator left a quorum.
    event QuorumLeft(address indexed operator, uint8 indexed quorum);

    /// @notice A quorum's state changed (a checkpoint was written for this block).
    /// @param apk The new aggregate key's encoding.
    event QuorumUpdated(
        uint8 indexed quorum,
        uint32 indexed fromBlock,
        uint32 operatorCount,
        uint96 totalStake,
        bytes32 apkHash,
        bytes apk
    );

    /// @notice An operator left every quorum; its bond unlocks at `unbondingEndsAt`.
    event UnbondingStarted(address indexed operator, uint96 bond, uint64 unbondingEndsAt);

    /// @notice An operator withdrew its bond to `to`.
    event BondWithdrawn(address indexed operator, address indexed to, uint96 amount);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The most quorums (numbered 0..MAX_QUORUMS-1).
    function MAX_QUORUMS() external view returns (uint8);

    /// @notice The token bonds are paid in.
    function token() external view returns (address);

    /// @notice The least bond an operator registers with.
    function minBond() external view returns (uint96);

    /// @notice Seconds from `startUnbonding` until the bond can be withdrawn.
    function unbondingDelay() external view returns (uint64);

    /// @notice An operator's record (all zero if it never registered).
    function getOperator(address operator) external view returns (Operator memory);

    /// @notice The operator registered with the key of hash `keyHash` (address(0) if none).
    function operatorOfKey(bytes32 keyHash) external view returns (address);

    /// @notice The G2 public key of an operator (empty if none).
    function publicKeyOf(address operator) external view returns (bytes memory);

    /// @notice The EIP-712 digest an operator's key signs as its proof of possession.
    function registrationDigest(address operator, bytes calldata publicKey) external view returns (bytes32);

    /// @notice The quorum's current aggregate G2 key (the point at infinity while empty).
    function quorumApk(uint8 quorum) external view returns (bytes memory);

    /// @notice How many checkpoints a quorum has.
    function quorumCheckpointCount(uint8 quorum) external view returns (uint256);

    /// @notice A quorum's checkpoint by index.
    function quorumCheckpoint(uint8 quorum, uint256 index) external view returns (QuorumCheckpoint memory);

    /// @notice The quorum's checkpoint in force at `blockNumber`, given its index: reverts with
    /// `OperatorRegistry_WrongCheckpointIndex` unless checkpoint `index` took effect at or before `blockNumber` and
    /// the next (if any) after it.
    function quorumCheckpointAt(
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) external view returns (QuorumCheckpoint memory);

    /// @notice The index of the quorum checkpoint in force at `blockNumber` (binary search, for off-chain callers).
    /// @dev Reverts with `OperatorRegistry_NoCheckpoint` if the quorum had none yet.
    function quorumCheckpointIndexAt(uint8 quorum, uint32 blockNumber) external view returns (uint32);

    /// @notice How many stake checkpoints an operator has in a quorum.
    function stakeCheckpointCount(address operator, uint8 quorum) external view returns (uint256);

    /// @notice An operator's stake checkpoint in a quorum by index.
    function stakeCheckpoint(
        address operator,
        uint8 quorum,
        uint256 index
    ) external view returns (StakeCheckpoint memory);

    /// @notice An operator's stake in a quorum at `blockNumber`, given the checkpoint's index (reverts with
    /// `OperatorRegistry_WrongCheckpointIndex` as `quorumCheckpointAt` does).
    function stakeAt(address operator, uint8 quorum, uint32 blockNumber, uint256 index) external view returns (uint96);

    /// @notice The index of the operator's stake checkpoint in force at `blockNumber` (binary search, off chain).
    /// @dev Reverts with `OperatorRegistry_NoCheckpoint` if it had none yet in this quorum.
    function stakeIndexAt(address operator, uint8 quorum, uint32 blockNumber) external view returns (uint32);

    /// @notice The operator of the key of hash `keyHash` and the key's stake in a quorum at `blockNumber`, given
    /// the operator's stake checkpoint index (one call per non-signer for `TaskManager.checkSignatures`).
    /// @return operator address(0) if no operator ever registered the key.
    /// @return stake 0 unless the key was the operator's key at `blockNumber` (an operator that withdrew and
    /// registered again has a new key; the old one counts only for blocks before the new registration) and the
    /// operator was in the quorum then.
    /// @dev Reverts with `OperatorRegistry_WrongCheckpointIndex` as `stakeAt` does, when the key was the
    /// operator's at `blockNumber`.
    function keyStakeAt(
        bytes32 keyHash,
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) external view returns (address operator, uint96 stake);

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers the caller: bonds `bond` of the token (pulled with SafeERC20), records its G2 key and URL,
    /// and adds it to each quorum of the bitmap `quorums` (its key to their aggregates, its bond to their stake).
    /// @dev Reverts: `OperatorRegistry_AlreadyRegistered` (status Active or Unbonding), `_BondTooLow`,
    /// `_NoQuorums` / `_InvalidQuorum` (a bit at or above MAX_QUORUMS), `_InvalidPublicKey` (not 256 bytes, a
    /// field element not reduced, the point at infinity), `_KeyTaken`, `_InvalidProofOfPossession` (not 128
    /// bytes, or the pairing check fails: also what a key off the curve or outside the subgroup hits),
    /// `_EmptyUrl` / `_UrlTooLong`. Emits {OperatorRegistered}, {QuorumJoined} and {QuorumUpdated} per quorum.
    function register(
        bytes calldata publicKey,
        bytes calldata proofOfPossession,
        string calldata url,
        uint96 bond,
        uint8 quorums
    ) external;

    /// @notice Adds `amount` to the caller's bond (and so to its stake in each of its quorums).
    /// @dev Only an Active operator (`OperatorRegistry_NotActive`); `amount` > 0 (`_ZeroAmount`). Emits
    /// {BondIncreased} and {QuorumUpdated} per quorum.
    function increaseBond(uint96 amount) external;

    /// @notice Sets the caller's URL.
    /// @dev Only an Active operator. Emits {OperatorUrlUpdated}.
    function setUrl(string calldata url) external;

    /// @notice Adds the caller to quorum `quorum`.
    /// @dev Only an Active operator; `_InvalidQuorum`; `_AlreadyInQuorum`. Emits {QuorumJoined}, {QuorumUpdated}.
    function joinQuorum(uint8 quorum) external;

    /// @notice Removes the caller from quorum `quorum` (it must stay in at least one: to leave all, unbond).
    /// @dev Only an Active operator; `_NotInQuorum`; `_LastQuorum`. Emits {QuorumLeft}, {QuorumUpdated}.
    function leaveQuorum(uint8 quorum) external;

    /// @notice Takes the caller out of every quorum from this block on and starts its unbonding delay.
    /// @dev Only an Active operator. Emits {QuorumLeft} and {QuorumUpdated} per quorum, then {UnbondingStarted}.
    function startUnbonding() external;

    /// @notice Pays the caller's bond to `to` once its unbonding delay has passed.
    /// @dev Only an Unbonding operator (`OperatorRegistry_NotUnbonding`), after `unbondingEndsAt`
    /// (`_StillUnbonding`); `to` not zero (`_ZeroAddress`). Emits {BondWithdrawn}.
    function withdrawBond(address to) external;
}
