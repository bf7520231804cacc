// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ICapacityPools } from "../interfaces/ICapacityPools.sol";
import { Errors } from "../libraries/Errors.sol";
import { PoolMath } from "../libraries/PoolMath.sol";
import { Farm, Pool, PoolStatus, Workload } from "../types/PoolTypes.sol";

/// @title PoolStore
/// @notice The capacity pools' storage (farms, nodes, pools, workloads, earnings, nonces), its bounds, and the
/// load → sync → save cycle every pool action goes through.
abstract contract PoolStore is ICapacityPools {
    /// @inheritdoc ICapacityPools
    uint256 public constant override MAX_NODES_PER_POOL = 32;
    /// @inheritdoc ICapacityPools
    uint256 public constant override MAX_WORKLOADS_PER_POOL = 64;
    /// @inheritdoc ICapacityPools
    uint256 public constant override MAX_BATCH = 32;
    /// @inheritdoc ICapacityPools
    uint256 public constant override MAX_GRACE_SECONDS = 30 days;
    /// @inheritdoc ICapacityPools
    uint256 public constant override MIN_RUNWAY = 120;
    /// @inheritdoc ICapacityPools
    uint256 public constant override LOW_RUNWAY = 1 hours;
    /// @inheritdoc ICapacityPools
    uint40 public constant override NEVER = PoolMath.NEVER;

    /// @dev Balances are kept in thousandths of a unit-second; reservations buy whole unit-seconds.
    uint256 internal constant MILLI = 1000;

    mapping(bytes32 farmId => Farm farm) internal _farms;
    mapping(bytes32 poolId => Pool pool) internal _pools;
    mapping(bytes32 workloadId => Workload workload) internal _workloads;

    /// @inheritdoc ICapacityPools
    mapping(bytes32 nodeId => bytes32 farmId) public override farmOfNode;
    /// @inheritdoc ICapacityPools
    mapping(bytes32 poolId => mapping(bytes32 nodeId => bool member)) public override poolHasNode;
    /// @inheritdoc ICapacityPools
    mapping(address provider => uint256 amount) public override earnings;
    /// @inheritdoc ICapacityPools
    mapping(address customer => mapping(uint256 nonce => bool used)) public override nonceUsed;

    /// @inheritdoc ICapacityPools
    function getFarm(bytes32 farmId) external view override returns (Farm memory) {
        return _farms[farmId];
    }

    /// @inheritdoc ICapacityPools
    function getPool(bytes32 poolId) external view override returns (Pool memory) {
        return _pools[poolId];
    }

    /// @inheritdoc ICapacityPools
    function currentPool(bytes32 poolId) external view override returns (Pool memory p) {
        p = _loadPool(poolId);
        PoolMath.drawDown(p, block.timestamp);
        p.status = PoolMath.status(p, block.timestamp, LOW_RUNWAY);
    }

    /// @inheritdoc ICapacityPools
    function getWorkload(bytes32 workloadId) external view override returns (Workload memory) {
        return _workloads[workloadId];
    }

    /// @dev A pool that must exist, in memory.
    function _loadPool(bytes32 poolId) internal view returns (Pool memory p) {
        p = _pools[poolId];
        if (p.owner == address(0)) revert Errors.CapacityPools_PoolNotFound(poolId);
    }

    /// @dev A farm's provider, which must be the caller.
    function _requireFarmProvider(bytes32 farmId) internal view {
        address provider = _farms[farmId].provider;
        if (provider == address(0)) revert Errors.CapacityPools_FarmNotFound(farmId);
        if (provider != msg.sender) revert Errors.CapacityPools_NotFarmProvider(farmId, msg.sender);
    }

    /// @dev Draws the pool down to now and credits what was consumed to the farm's provider.
    function _sync(bytes32 poolId, Pool memory p) internal {
        uint256 earned = PoolMath.drawDown(p, block.timestamp);
        if (earned != 0) {
            address provider = _farms[p.farmId].provider;
            earnings[provider] += earned;
            emit Accrued(poolId, provider, earned);
        }
    }

    /// @dev Recomputes `emptyAt` after its rates or balances changed, except in a pool past its grace period that
    /// still has running workloads: those are expired together and cannot be revived by closing some of them.
    /// An empty pool resumes only with more than MIN_RUNWAY seconds of runway, what a new workload needs: a change
    /// that leaves it less stays empty as of its `emptyAt`, so its grace period keeps running (a dust top-up or a
    /// workload assigned and removed does not buy a new grace period).
    function _reschedule(Pool memory p) internal view {
        PoolStatus status = PoolMath.status(p, block.timestamp, LOW_RUNWAY);
        if (status == PoolStatus.GraceOver) return;
        uint40 next = PoolMath.emptyAt(p, block.timestamp);
        if (status == PoolStatus.Empty && next <= block.timestamp + MIN_RUNWAY) return;
        p.emptyAt = next;
    }

    /// @dev Writes the pool back, logs its new state, and its status when that changed.
    function _save(bytes32 poolId, Pool memory p) internal {
        PoolStatus status = PoolMath.status(p, block.timestamp, LOW_RUNWAY);
        if (status != p.status) {
            p.status = status;
            emit PoolStatusChanged(poolId, status, p.emptyAt, PoolMath.graceEndsAt(p));
        }
        _pools[poolId] = p;
        emit PoolUpdated(
            poolId,
            p.lastUpdated,
            p.emptyAt,
            p.cu.balance,
            p.su.balance,
            p.ipv4u.balance,
            p.cuRate,
            p.suRate,
            p.ipv4uRate,
            uint256(p.cu.value) + p.su.value + p.ipv4u.value
        );
    }

    /// @dev Reverts unless `count` is within `max`.
    function _requireAtMost(uint256 count, uint256 max) internal pure {
        if (count > max) revert Errors.CapacityPools_TooMany(count, max);
    }
}
