// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SignatureChecker } from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { PoolStore } from "./abstracts/PoolStore.sol";
import { ICapacityPools } from "./interfaces/ICapacityPools.sol";
import { Errors } from "./libraries/Errors.sol";
import { PoolHashing } from "./libraries/PoolHashing.sol";
import { PoolMath } from "./libraries/PoolMath.sol";
import {
    Farm,
    Pool,
    PoolStatus,
    Prices,
    Reservation,
    ResourceBalance,
    Workload,
    WorkloadRates,
    WorkloadStatus
} from "./types/PoolTypes.sol";

/// @title CapacityPools
/// @notice See {ICapacityPools}. Every pool action loads the pool, syncs it to now, checks, changes it, saves and
/// logs it, and only then moves tokens.
contract CapacityPools is ICapacityPools, PoolStore, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc ICapacityPools
    IERC20 public immutable override token;

    /// @notice Deploys the pools of one token.
    /// @param token_ The ERC20 capacity is paid in. Fee-on-transfer and rebasing tokens are not supported.
    constructor(IERC20 token_) EIP712("Accord CapacityPools", "1") {
        if (address(token_) == address(0)) revert Errors.CapacityPools_ZeroAddressToken();
        token = token_;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityPools
    function farmIdOf(address provider, bytes32 salt) public pure override returns (bytes32) {
        return keccak256(abi.encode(provider, salt));
    }

    /// @inheritdoc ICapacityPools
    function reservationDigest(Reservation calldata reservation) public view override returns (bytes32) {
        return _hashTypedDataV4(PoolHashing.hashReservation(reservation));
    }

    /// @inheritdoc ICapacityPools
    function reservationCost(Reservation calldata reservation) public view override returns (uint256) {
        Prices memory prices = _farms[reservation.farmId].prices;
        return
            uint256(reservation.cus) * prices.cu +
            uint256(reservation.sus) * prices.su +
            uint256(reservation.ipv4us) * prices.ipv4u;
    }

    /*//////////////////////////////////////////////////////////////
                                  FARMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityPools
    function createFarm(bytes32 salt, Prices calldata prices) external override returns (bytes32 farmId) {
        farmId = farmIdOf(msg.sender, salt);
        if (_farms[farmId].provider != address(0)) revert Errors.CapacityPools_FarmExists(farmId);
        uint32 maxGrace = uint32(MAX_GRACE_SECONDS);
        _farms[farmId] = Farm(msg.sender, maxGrace, prices);
        emit FarmCreated(farmId, msg.sender, prices);
        emit FarmGraceLimitSet(farmId, maxGrace);
    }

    /// @inheritdoc ICapacityPools
    function setFarmPrices(bytes32 farmId, Prices calldata prices) external override {
        _requireFarmProvider(farmId);
        _farms[farmId].prices = prices;
        emit FarmPricesSet(farmId, prices);
    }

    /// @inheritdoc ICapacityPools
    function setFarmGraceLimit(bytes32 farmId, uint32 maxGraceSeconds) external override {
        _requireFarmProvider(farmId);
        if (maxGraceSeconds > MAX_GRACE_SECONDS) {
            revert Errors.CapacityPools_GraceTooLong(maxGraceSeconds, MAX_GRACE_SECONDS);
        }
        _farms[farmId].maxGraceSeconds = maxGraceSeconds;
        emit FarmGraceLimitSet(farmId, maxGraceSeconds);
    }

    /// @inheritdoc ICapacityPools
    function declareNodes(bytes32 farmId, bytes32[] calldata nodeIds) external override {
        _requireFarmProvider(farmId);
        uint256 count = nodeIds.length;
        if (count == 0) revert Errors.CapacityPools_EmptyList();
        _requireAtMost(count, MAX_BATCH);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 nodeId = nodeIds[i];
            if (nodeId == bytes32(0)) revert Errors.CapacityPools_ZeroNodeId();
            bytes32 owner = farmOfNode[nodeId];
            if (owner != bytes32(0)) revert Errors.CapacityPools_NodeAlreadyDeclared(nodeId, owner);
            farmOfNode[nodeId] = farmId;
            emit NodeDeclared(nodeId, farmId);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              RESERVATIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityPools
    function reserve(
        Reservation calldata reservation,
        bytes calldata customerSignature,
        bytes calldata sponsorSignature
    ) external override nonReentrant returns (bytes32 poolId) {
        address customer = reservation.customer;
        if (block.timestamp > reservation.deadline)
            revert Errors.CapacityPools_ReservationExpired(reservation.deadline);
        if (customer == address(0)) revert Errors.CapacityPools_ZeroAddressCustomer();
        if (nonceUsed[customer][reservation.nonce]) revert Errors.CapacityPools_NonceUsed(customer, reservation.nonce);
        bytes32 digest = reservationDigest(reservation);
        _requireSignature(customer, digest, customerSignature);
        address sponsor = reservation.sponsor;
        if (sponsor != address(0)) _requireSignature(sponsor, digest, sponsorSignature);
        bytes32 farmId = reservation.farmId;
        if (_farms[farmId].provider == address(0)) revert Errors.CapacityPools_FarmNotFound(farmId);
        _requireAtMost(reservation.nodeIds.length, MAX_NODES_PER_POOL);

        nonceUsed[customer][reservation.nonce] = true;
        Pool memory p;
        if (reservation.poolId == bytes32(0)) {
            poolId = digest;
            p = _createPool(poolId, reservation);
        } else {
            poolId = reservation.poolId;
            p = _loadPool(poolId);
            _topUp(poolId, p, reservation);
        }
        uint256 cost = reservationCost(reservation);
        if (cost > reservation.maxCost) revert Errors.CapacityPools_CostAboveMax(cost, reservation.maxCost);
        _addCapacity(p, reservation);
        _reschedule(p);
        address payer = sponsor == address(0) ? customer : sponsor;
        emit CapacityAdded(
            poolId,
            customer,
            payer,
            reservation.nonce,
            reservation.cus,
            reservation.sus,
            reservation.ipv4us,
            cost
        );
        _save(poolId, p);
        if (cost != 0) token.safeTransferFrom(payer, address(this), cost);
    }

    /// @inheritdoc ICapacityPools
    function cancelNonce(uint256 nonce) external override {
        if (nonceUsed[msg.sender][nonce]) revert Errors.CapacityPools_NonceUsed(msg.sender, nonce);
        nonceUsed[msg.sender][nonce] = true;
        emit NonceCancelled(msg.sender, nonce);
    }

    /*//////////////////////////////////////////////////////////////
                                WORKLOADS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityPools
    function assignWorkload(
        bytes32 workloadId,
        bytes32 poolId,
        bytes32 nodeId,
        WorkloadRates calldata rates
    ) external override {
        if (workloadId == bytes32(0)) revert Errors.CapacityPools_ZeroWorkloadId();
        // Only the owner and the count are needed: reading them from storage skips the pool's other slots.
        Pool storage pool = _pools[poolId];
        address owner = pool.owner;
        if (owner == address(0)) revert Errors.CapacityPools_PoolNotFound(poolId);
        if (msg.sender != owner) revert Errors.CapacityPools_NotPoolOwner(poolId, msg.sender);
        Workload storage existing = _workloads[workloadId];
        WorkloadStatus status = existing.status;
        if (status != WorkloadStatus.None) {
            if (
                _isLive(status) &&
                existing.poolId == poolId &&
                existing.nodeId == nodeId &&
                _sameRates(existing.rates, rates)
            ) {
                return;
            }
            revert Errors.CapacityPools_WorkloadExists(workloadId);
        }
        if (!poolHasNode[poolId][nodeId]) revert Errors.CapacityPools_NodeNotInPool(poolId, nodeId);
        uint16 count = pool.workloadCount;
        _requireAtMost(uint256(count) + 1, MAX_WORKLOADS_PER_POOL);

        _workloads[workloadId] = Workload(poolId, nodeId, rates, WorkloadStatus.Assigned, 0);
        pool.workloadCount = count + 1;
        emit WorkloadAssigned(workloadId, poolId, nodeId, rates);
    }

    /// @inheritdoc ICapacityPools
    function startWorkload(bytes32 workloadId) external override {
        Workload storage w = _workloads[workloadId];
        WorkloadStatus status = w.status;
        if (status == WorkloadStatus.None) revert Errors.CapacityPools_WorkloadNotFound(workloadId);
        bytes32 poolId = w.poolId;
        Pool memory p = _pools[poolId];
        if (msg.sender != _farms[p.farmId].provider) revert Errors.CapacityPools_Unauthorized(workloadId, msg.sender);
        if (status == WorkloadStatus.Running) return;
        if (status != WorkloadStatus.Assigned) revert Errors.CapacityPools_InvalidWorkloadStatus(workloadId, status);

        _sync(poolId, p);
        // Past its grace period a pool's workloads are being decommissioned: a new one must not revive them.
        if (PoolMath.status(p, block.timestamp, LOW_RUNWAY) == PoolStatus.GraceOver) {
            revert Errors.CapacityPools_GraceOver(poolId, PoolMath.graceEndsAt(p));
        }
        WorkloadRates memory rates = w.rates;
        p.cuRate += rates.cu;
        p.suRate += rates.su;
        p.ipv4uRate += rates.ipv4u;
        ++p.runningCount;
        p.emptyAt = PoolMath.emptyAt(p, block.timestamp);
        if (block.timestamp + MIN_RUNWAY >= p.emptyAt) {
            revert Errors.CapacityPools_InsufficientRunway(poolId, p.emptyAt, block.timestamp + MIN_RUNWAY + 1);
        }
        w.status = WorkloadStatus.Running;
        w.startedAt = uint40(block.timestamp);
        emit WorkloadStarted(workloadId, poolId, w.nodeId);
        _save(poolId, p);
    }

    /// @inheritdoc ICapacityPools
    function removeWorkload(bytes32 workloadId) external override {
        Workload storage w = _workloads[workloadId];
        WorkloadStatus status = w.status;
        if (status == WorkloadStatus.None) return;
        bytes32 poolId = w.poolId;
        Pool memory p = _pools[poolId];
        if (msg.sender != p.owner && msg.sender != _farms[p.farmId].provider) {
            revert Errors.CapacityPools_Unauthorized(workloadId, msg.sender);
        }
        if (!_isLive(status)) return;

        _sync(poolId, p);
        _retire(p, w);
        w.status = WorkloadStatus.Removed;
        emit WorkloadRemoved(workloadId, poolId, msg.sender);
        _reschedule(p);
        _save(poolId, p);
    }

    /// @inheritdoc ICapacityPools
    function closeExpiredWorkloads(bytes32[] calldata workloadIds) external override {
        uint256 count = workloadIds.length;
        if (count == 0) revert Errors.CapacityPools_EmptyList();
        _requireAtMost(count, MAX_BATCH);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 workloadId = workloadIds[i];
            Workload storage w = _workloads[workloadId];
            if (w.status != WorkloadStatus.Running) {
                revert Errors.CapacityPools_InvalidWorkloadStatus(workloadId, w.status);
            }
            bytes32 poolId = w.poolId;
            Pool memory p = _pools[poolId];
            _sync(poolId, p);
            PoolStatus status = PoolMath.status(p, block.timestamp, LOW_RUNWAY);
            if (status != PoolStatus.GraceOver) revert Errors.CapacityPools_NotExpired(poolId, status);
            _retire(p, w);
            w.status = WorkloadStatus.Expired;
            emit WorkloadExpired(workloadId, poolId, msg.sender);
            _reschedule(p);
            _save(poolId, p);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              SYNC AND FUNDS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityPools
    function syncPool(bytes32 poolId) external override {
        Pool memory p = _loadPool(poolId);
        _sync(poolId, p);
        _save(poolId, p);
    }

    /// @inheritdoc ICapacityPools
    function withdrawEarnings(address to, bytes32[] calldata poolIds) external override nonReentrant {
        uint256 count = poolIds.length;
        _requireAtMost(count, MAX_BATCH);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 poolId = poolIds[i];
            Pool memory p = _loadPool(poolId);
            _sync(poolId, p);
            _save(poolId, p);
        }
        uint256 amount = earnings[msg.sender];
        if (amount == 0) revert Errors.CapacityPools_NothingToWithdraw(msg.sender);
        earnings[msg.sender] = 0;
        emit EarningsWithdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc ICapacityPools
    function withdrawUnconsumed(bytes32 poolId, address to) external override nonReentrant {
        Pool memory p = _loadPool(poolId);
        address beneficiary = p.sponsor == address(0) ? p.owner : p.sponsor;
        if (msg.sender != beneficiary) revert Errors.CapacityPools_NotBeneficiary(poolId, msg.sender);
        if (p.runningCount != 0) revert Errors.CapacityPools_PoolBusy(poolId, p.runningCount);
        uint256 amount = uint256(p.cu.value) + p.su.value + p.ipv4u.value;
        if (amount == 0) revert Errors.CapacityPools_NothingToWithdraw(msg.sender);

        // No workload runs, so nothing was drawn since the last change: the balances are current.
        p.lastUpdated = uint40(block.timestamp);
        p.cu = ResourceBalance(0, 0);
        p.su = ResourceBalance(0, 0);
        p.ipv4u = ResourceBalance(0, 0);
        _save(poolId, p);
        emit UnconsumedWithdrawn(poolId, beneficiary, to, amount);
        token.safeTransfer(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev A new pool under the reservation's digest, with its nodes.
    function _createPool(bytes32 poolId, Reservation calldata r) private returns (Pool memory p) {
        uint256 count = r.nodeIds.length;
        if (count == 0) revert Errors.CapacityPools_EmptyList();
        uint256 maxGrace = _farms[r.farmId].maxGraceSeconds;
        if (r.graceSeconds > maxGrace) revert Errors.CapacityPools_GraceTooLong(r.graceSeconds, maxGrace);
        p.owner = r.customer;
        p.sponsor = r.sponsor;
        p.farmId = r.farmId;
        p.graceSeconds = r.graceSeconds;
        p.lastUpdated = uint40(block.timestamp);
        p.emptyAt = NEVER;
        emit PoolCreated(poolId, r.customer, r.sponsor, r.farmId, r.graceSeconds);
        for (uint256 i = 0; i < count; ++i) {
            if (!_addNode(poolId, r.farmId, r.nodeIds[i])) revert Errors.CapacityPools_DuplicateNode(r.nodeIds[i]);
        }
        p.nodeCount = uint16(count);
    }

    /// @dev Syncs an existing pool and adds the reservation's new nodes; refuses a top-up that changes nothing.
    function _topUp(bytes32 poolId, Pool memory p, Reservation calldata r) private {
        if (r.farmId != p.farmId) revert Errors.CapacityPools_FarmMismatch(poolId, r.farmId);
        if (r.graceSeconds != 0) revert Errors.CapacityPools_GraceOnTopUp(poolId);
        _sync(poolId, p);
        if (PoolMath.status(p, block.timestamp, LOW_RUNWAY) == PoolStatus.GraceOver) {
            revert Errors.CapacityPools_GraceOver(poolId, PoolMath.graceEndsAt(p));
        }
        uint256 count = r.nodeIds.length;
        if (count != 0 && r.customer != p.owner) revert Errors.CapacityPools_NotPoolOwner(poolId, r.customer);
        uint256 added = 0;
        for (uint256 i = 0; i < count; ++i) {
            if (_addNode(poolId, r.farmId, r.nodeIds[i])) ++added;
        }
        _requireAtMost(uint256(p.nodeCount) + added, MAX_NODES_PER_POOL);
        if (added == 0 && r.cus == 0 && r.sus == 0 && r.ipv4us == 0) revert Errors.CapacityPools_EmptyReservation();
        p.nodeCount += uint16(added);
    }

    /// @dev Adds a node of `farmId` to the pool; false if it was one of the pool's already.
    function _addNode(bytes32 poolId, bytes32 farmId, bytes32 nodeId) private returns (bool) {
        if (farmOfNode[nodeId] != farmId) revert Errors.CapacityPools_NodeNotInFarm(nodeId, farmId);
        if (poolHasNode[poolId][nodeId]) return false;
        poolHasNode[poolId][nodeId] = true;
        emit PoolNodeAdded(poolId, nodeId);
        return true;
    }

    /// @dev Adds the bought unit-seconds (in milli-unit-seconds) and what was paid for them, at the farm's prices.
    function _addCapacity(Pool memory p, Reservation calldata r) private view {
        Prices memory prices = _farms[r.farmId].prices;
        _add(p.cu, r.cus, prices.cu);
        _add(p.su, r.sus, prices.su);
        _add(p.ipv4u, r.ipv4us, prices.ipv4u);
    }

    function _add(ResourceBalance memory balance, uint256 unitSeconds, uint256 price) private pure {
        balance.balance = (balance.balance + unitSeconds * MILLI).toUint128();
        balance.value = (balance.value + unitSeconds * price).toUint128();
    }

    /// @dev Takes a live workload out of its pool's counts (and rates, if it ran).
    function _retire(Pool memory p, Workload storage w) private view {
        if (w.status == WorkloadStatus.Running) {
            WorkloadRates memory rates = w.rates;
            p.cuRate -= rates.cu;
            p.suRate -= rates.su;
            p.ipv4uRate -= rates.ipv4u;
            --p.runningCount;
        }
        --p.workloadCount;
    }

    function _requireSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (msg.sender == signer) return;
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert Errors.CapacityPools_InvalidSignature(signer);
        }
    }

    function _isLive(WorkloadStatus status) private pure returns (bool) {
        return status == WorkloadStatus.Assigned || status == WorkloadStatus.Running;
    }

    function _sameRates(WorkloadRates storage a, WorkloadRates calldata b) private view returns (bool) {
        return a.cu == b.cu && a.su == b.su && a.ipv4u == b.ipv4u;
    }
}
