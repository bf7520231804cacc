// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Units: a pool holds unit-seconds of three resources (CU·s, SU·s, IPv4U·s). Reservations buy whole
// unit-seconds; workloads draw them down at rates in thousandths of a unit, so the contract keeps balances in
// thousandths of a unit-second ("milli-unit-seconds") and every amount is an exact integer.
// Enum indices are read by the indexer and the TypeScript model (src/pools): new members go at the end.

/// @notice Where a pool stands, as of its last update (`getPool`) or now (`poolStatus`).
/// @dev Idle: no running workload, nothing is drawn. Active: running, more than LOW_RUNWAY left. RunwayLow:
/// running, at most LOW_RUNWAY left. Empty: a resource ran out at `emptyAt`; nothing accrues, and a top-up
/// within the grace period resumes every workload. GraceOver: the grace period ended with workloads still
/// running; the provider decommissions them and anyone may close them.
enum PoolStatus {
    Idle,
    Active,
    RunwayLow,
    Empty,
    GraceOver
}

/// @notice A workload's life: assigned by the pool's owner, started by the node's provider (charging starts),
/// removed by either, or closed as expired after the pool's grace period.
enum WorkloadStatus {
    None,
    Assigned,
    Running,
    Removed,
    Expired
}

/// @notice A farm's prices, in the token's smallest unit per unit-second of each resource.
struct Prices {
    uint128 cu;
    uint128 su;
    uint128 ipv4u;
}

/// @notice A provider's farm: its nodes share its prices and are paid to its provider.
/// @param maxGraceSeconds The longest grace period a pool of this farm may have: workloads sit on the farm's nodes
/// for free while their pool is empty, so the provider bounds it (MAX_GRACE_SECONDS when the farm is created).
struct Farm {
    address provider;
    uint32 maxGraceSeconds;
    Prices prices;
}

/// @notice What a workload draws per second, in thousandths of a unit (1 CU = 1000), as `computeUnits` gives.
struct WorkloadRates {
    uint32 cu;
    uint32 su;
    uint32 ipv4u;
}

/// @notice One resource of a pool: what is left and what it is worth.
/// @param balance Milli-unit-seconds left as of the pool's `lastUpdated`.
/// @param value The tokens paid for `balance`, at the prices of the reservations that bought it. Consumption
/// pays out `value × consumed / balance` (exactly `value` when the balance runs out), so what a provider is paid
/// for a resource never exceeds what was paid in for it.
struct ResourceBalance {
    uint128 balance;
    uint128 value;
}

/// @notice A capacity pool.
/// @param owner The customer who created it: the only account that assigns workloads.
/// @param lastUpdated When the balances were last synced.
/// @param emptyAt When the first resource with a non-zero rate runs out (type(uint40).max: never). It only
/// moves when rates or balances change: a sync alone leaves it where it is.
/// @param status The status as of the last update (see PoolStatus); `poolStatus` gives it now.
/// @param sponsor Who paid for the pool on behalf of the owner (zero: none); the unconsumed balance is theirs.
/// @param graceSeconds How long after `emptyAt` a top-up still resumes the workloads; set at creation.
/// @param farmId The farm every node of the pool belongs to.
/// @param rates The sums of the running workloads' rates (milli-units per second).
struct Pool {
    address owner;
    uint40 lastUpdated;
    uint40 emptyAt;
    PoolStatus status;
    address sponsor;
    uint32 graceSeconds;
    uint16 nodeCount;
    uint16 workloadCount;
    uint16 runningCount;
    bytes32 farmId;
    uint64 cuRate;
    uint64 suRate;
    uint64 ipv4uRate;
    ResourceBalance cu;
    ResourceBalance su;
    ResourceBalance ipv4u;
}

/// @notice A workload drawing on a pool.
struct Workload {
    bytes32 poolId;
    bytes32 nodeId;
    WorkloadRates rates;
    WorkloadStatus status;
    uint40 startedAt;
}

/// @notice A signed purchase of capacity (EIP-712 `Reservation`): creates a pool (`poolId` zero) or tops one up.
/// @param poolId Zero to create a pool (its ID is then this reservation's EIP-712 digest), else the pool to top up.
/// @param customer Who signs; owns a pool it creates; pays unless `sponsor` is set.
/// @param sponsor Zero, or who pays (and signs too); a pool created with a sponsor refunds its unconsumed balance
/// to the sponsor.
/// @param farmId The farm selling the capacity: the pool's farm on a top-up.
/// @param cus Whole CU·s to buy.
/// @param sus Whole SU·s to buy.
/// @param ipv4us Whole IPv4U·s to buy.
/// @param nodeIds The pool's nodes on creation; nodes to add on a top-up (only the owner's top-up may add).
/// @param graceSeconds The pool's grace period, on creation; must be zero on a top-up.
/// @param maxCost The most the signer pays: prices are read when the reservation is submitted.
/// @param nonce Any number the customer has not used or cancelled.
/// @param deadline The last timestamp at which the reservation may be submitted.
// Calldata only, and its field order is the EIP-712 type people sign, so it is not packed for storage.
// solhint-disable-next-line gas-struct-packing
struct Reservation {
    bytes32 poolId;
    address customer;
    address sponsor;
    bytes32 farmId;
    uint64 cus;
    uint64 sus;
    uint64 ipv4us;
    bytes32[] nodeIds;
    uint32 graceSeconds;
    uint256 maxCost;
    uint256 nonce;
    uint256 deadline;
}
