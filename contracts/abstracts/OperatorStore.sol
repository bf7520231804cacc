// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IOperatorRegistry } from "../interfaces/IOperatorRegistry.sol";
import { Errors } from "../libraries/Errors.sol";
import { Operator, QuorumCheckpoint, StakeCheckpoint } from "../types/QuorumTypes.sol";

/// @title OperatorStore
/// @notice The operator registry's storage (operators, keys, per-quorum aggregates and their checkpoints, per
/// operator and quorum stake checkpoints), its bounds, and the views over it.
/// @dev Checkpoint lookups come in two kinds: the O(1) checks of a caller-supplied index (what the on-chain
/// signature check uses) and binary searches (O(log n), for off-chain callers to find those indices).
abstract contract OperatorStore is IOperatorRegistry {
    /// @notice Which operator registered a key, and the blocks it was that operator's key in.
    /// @param operator Who registered it.
    /// @param registeredAt The block of its registration.
    /// @param retiredAt The block the operator registered a new key in (0 while it is the current key).
    struct KeyRecord {
        address operator;
        uint32 registeredAt;
        uint32 retiredAt;
    }

    /// @inheritdoc IOperatorRegistry
    uint8 public constant override MAX_QUORUMS = 8;
    /// @notice The longest operator URL.
    uint256 public constant MAX_URL_BYTES = 2048;

    /// @inheritdoc IOperatorRegistry
    address public immutable override token;
    /// @inheritdoc IOperatorRegistry
    uint96 public immutable override minBond;
    /// @inheritdoc IOperatorRegistry
    uint64 public immutable override unbondingDelay;

    mapping(address operator => Operator record) internal _operators;
    mapping(address operator => bytes publicKey) internal _publicKeys;
    mapping(bytes32 keyHash => KeyRecord record) internal _keys;
    mapping(uint8 quorum => bytes apk) internal _apks;
    mapping(uint8 quorum => QuorumCheckpoint[] history) internal _quorumCheckpoints;
    mapping(address operator => mapping(uint8 quorum => StakeCheckpoint[] history)) internal _stakeCheckpoints;

    /// @notice Sets the bond token, the minimum bond and the unbonding delay.
    /// @param bondToken The token bonds are paid in.
    /// @param minimumBond The least bond (> 0: every member of a quorum has stake).
    /// @param delay Seconds from `startUnbonding` to `withdrawBond`.
    constructor(address bondToken, uint96 minimumBond, uint64 delay) {
        if (bondToken == address(0)) revert Errors.OperatorRegistry_ZeroAddress();
        if (minimumBond == 0) revert Errors.OperatorRegistry_ZeroMinBond();
        token = bondToken;
        minBond = minimumBond;
        unbondingDelay = delay;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function getOperator(address operator) external view override returns (Operator memory) {
        return _operators[operator];
    }

    /// @inheritdoc IOperatorRegistry
    function operatorOfKey(bytes32 keyHash) external view override returns (address) {
        return _keys[keyHash].operator;
    }

    /// @inheritdoc IOperatorRegistry
    function publicKeyOf(address operator) external view override returns (bytes memory) {
        return _publicKeys[operator];
    }

    /// @inheritdoc IOperatorRegistry
    function quorumApk(uint8 quorum) external view override returns (bytes memory apk) {
        apk = _apks[quorum];
        if (apk.length == 0) apk = new bytes(256);
    }

    /// @inheritdoc IOperatorRegistry
    function quorumCheckpointCount(uint8 quorum) external view override returns (uint256) {
        return _quorumCheckpoints[quorum].length;
    }

    /// @inheritdoc IOperatorRegistry
    function quorumCheckpoint(uint8 quorum, uint256 index) external view override returns (QuorumCheckpoint memory) {
        return _quorumCheckpoints[quorum][index];
    }

    /// @inheritdoc IOperatorRegistry
    function quorumCheckpointAt(
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) external view override returns (QuorumCheckpoint memory checkpoint) {
        QuorumCheckpoint[] storage history = _quorumCheckpoints[quorum];
        uint256 length = history.length;
        if (index >= length) revert Errors.OperatorRegistry_WrongCheckpointIndex(blockNumber, index);
        checkpoint = history[index];
        if (checkpoint.fromBlock > blockNumber || (index + 1 < length && history[index + 1].fromBlock <= blockNumber)) {
            revert Errors.OperatorRegistry_WrongCheckpointIndex(blockNumber, index);
        }
    }

    /// @inheritdoc IOperatorRegistry
    function quorumCheckpointIndexAt(uint8 quorum, uint32 blockNumber) external view override returns (uint32) {
        QuorumCheckpoint[] storage history = _quorumCheckpoints[quorum];
        // The number of checkpoints with fromBlock ≤ blockNumber (they are in increasing order of fromBlock).
        uint256 low = 0;
        uint256 high = history.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].fromBlock > blockNumber) high = mid;
            else low = mid + 1;
        }
        if (low == 0) revert Errors.OperatorRegistry_NoCheckpoint(blockNumber);
        return uint32(low - 1);
    }

    /// @inheritdoc IOperatorRegistry
    function stakeCheckpointCount(address operator, uint8 quorum) external view override returns (uint256) {
        return _stakeCheckpoints[operator][quorum].length;
    }

    /// @inheritdoc IOperatorRegistry
    function stakeCheckpoint(
        address operator,
        uint8 quorum,
        uint256 index
    ) external view override returns (StakeCheckpoint memory) {
        return _stakeCheckpoints[operator][quorum][index];
    }

    /// @inheritdoc IOperatorRegistry
    function stakeAt(
        address operator,
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) external view override returns (uint96) {
        return _stakeAt(operator, quorum, blockNumber, index);
    }

    /// @inheritdoc IOperatorRegistry
    function stakeIndexAt(address operator, uint8 quorum, uint32 blockNumber) external view override returns (uint32) {
        StakeCheckpoint[] storage history = _stakeCheckpoints[operator][quorum];
        uint256 low = 0;
        uint256 high = history.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].fromBlock > blockNumber) high = mid;
            else low = mid + 1;
        }
        if (low == 0) revert Errors.OperatorRegistry_NoCheckpoint(blockNumber);
        return uint32(low - 1);
    }

    /// @inheritdoc IOperatorRegistry
    function keyStakeAt(
        bytes32 keyHash,
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) external view override returns (address operator, uint96 stake) {
        KeyRecord memory key = _keys[keyHash];
        operator = key.operator;
        // Outside the blocks the key was its operator's, the operator's stake belongs to another of its keys.
        if (operator == address(0) || blockNumber < key.registeredAt) return (operator, 0);
        if (key.retiredAt != 0 && blockNumber >= key.retiredAt) return (operator, 0);
        stake = _stakeAt(operator, quorum, blockNumber, index);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _stakeAt(
        address operator,
        uint8 quorum,
        uint32 blockNumber,
        uint256 index
    ) internal view returns (uint96) {
        StakeCheckpoint[] storage history = _stakeCheckpoints[operator][quorum];
        uint256 length = history.length;
        if (index >= length) revert Errors.OperatorRegistry_WrongCheckpointIndex(blockNumber, index);
        StakeCheckpoint memory checkpoint = history[index];
        if (checkpoint.fromBlock > blockNumber || (index + 1 < length && history[index + 1].fromBlock <= blockNumber)) {
            revert Errors.OperatorRegistry_WrongCheckpointIndex(blockNumber, index);
        }
        return checkpoint.stake;
    }
}
