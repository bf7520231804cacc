// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { Farm, Pool, PoolStatus, Prices, Reservation, Workload, WorkloadRates } from "../types/PoolTypes.sol";

/// @title ICapacityPools
/// @notice Pre-paid capacity on chain: customers buy unit-seconds of compute (CU·s), storage (SU·s) and public
/// IPv4 (IPv4U·s) for a set of a farm's nodes; workloads on those nodes draw the pool down; the tokens stay
/// here until consumed, and what was consumed accrues to the farm's provider.
/// @dev Units: reservations buy whole unit-seconds; rates are thousandths of a unit per second; balances are
/// kept in thousandths of a unit-second, so all arithmetic is exact in integers.
///
/// Drawing down is lazy, as in the reference: every change first syncs the pool (each balance −= rate × elapsed
/// since `lastUpdated`, counted up to `emptyAt` only), then, when rates or balances changed, recomputes
/// `emptyAt = now + min(balance / rate)` over the resources with a non-zero rate (never, with none). Past `emptyAt`
/// nothing accrues: the workloads keep their place for the pool's grace period, in which a top-up that leaves more
/// than MIN_RUNWAY of runway resumes them all (a smaller change leaves the pool empty as of its `emptyAt`, so the
/// grace period runs on); after it anyone may close them (`closeExpiredWorkloads`) and the provider decommissions
/// them, and `emptyAt` no longer moves until they are all closed.
///
/// Funds: a reservation pulls its cost from the payer (the sponsor if there is one, else the customer) at the
/// prices of the farm when it is submitted (capped by the signed `maxCost`). Consumption pays the farm's
/// provider `value × consumed / balance` of each resource, withdrawable at any time; the rest stays the pool's
/// beneficiary's (the sponsor if the pool was created with one, else the owner), withdrawable while no workload
/// runs. A top-up by a third party is a contribution to the pool: its unconsumed part returns to the
/// beneficiary. Nobody else can move these funds. Fee-on-transfer and rebasing tokens are not supported.
///
/// Bounds: a pool has at most MAX_NODES_PER_POOL nodes and MAX_WORKLOADS_PER_POOL live (assigned or running)
/// workloads; a list argument has at most MAX_BATCH elements. No function loops over anything else.
interface ICapacityPools {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A provider created a farm.
    event FarmCreated(bytes32 indexed farmId, address indexed provider, Prices prices);

    /// @notice A farm's prices changed; capacity bought earlier keeps the prices it was bought at.
    event FarmPricesSet(bytes32 indexed farmId, Prices prices);

    /// @notice The longest grace period the farm's new pools may have (pools created earlier keep theirs).
    event FarmGraceLimitSet(bytes32 indexed farmId, uint32 maxGraceSeconds);

    /// @notice A farm declared a node as its own.
    event NodeDeclared(bytes32 indexed nodeId, bytes32 indexed farmId);

    /// @notice A reservation created a pool.
    /// @param poolId The reservation's EIP-712 digest.
    event PoolCreated(
        bytes32 indexed poolId,
        address indexed owner,
        address indexed sponsor,
        bytes32 farmId,
        uint32 graceSeconds
    );

    /// @notice A node became one of the pool's.
    event PoolNodeAdded(bytes32 indexed poolId, bytes32 indexed nodeId);

    /// @notice A reservation bought capacity for the pool.
    /// @param payer Who paid `cost`: the sponsor, else the customer.
    event CapacityAdded(
        bytes32 indexed poolId,
        address indexed customer,
        address indexed payer,
        uint256 nonce,
        uint64 cus,
        uint64 sus,
        uint64 ipv4us,
        uint256 cost
    );

    /// @notice The pool after a change: balances (milli-unit-seconds) as of `lastUpdated`, rates (milli-units per
    /// second), `emptyAt` (type(uint40).max: never) and the unconsumed value in tokens.
    event PoolUpdated(
        bytes32 indexed poolId,
        uint40 lastUpdated,
        uint40 emptyAt,
        uint128 cuBalance,
        uint128 suBalance,
        uint128 ipv4uBalance,
        uint64 cuRate,
        uint64 suRate,
        uint64 ipv4uRate,
        uint256 value
    );

    /// @notice The pool's status changed (runway low, empty, grace over, back to active or idle).
    /// @param graceEndsAt `emptyAt + graceSeconds` (type(uint40).max + grace when it never empties).
    event PoolStatusChanged(bytes32 indexed poolId, PoolStatus indexed status, uint40 emptyAt, uint256 graceEndsAt);

    /// @notice Consumption since the last sync accrued to the farm's provider.
    event Accrued(bytes32 indexed poolId, address indexed provider, uint256 amount);

    /// @notice The owner assigned a workload to a node of the pool.
    event WorkloadAssigned(
        bytes32 indexed workloadId,
        bytes32 indexed poolId,
        bytes32 indexed nodeId,
        WorkloadRates rates
    );

    /// @notice The node's provider started the workload: it draws on the pool from now on.
    event WorkloadStarted(bytes32 indexed workloadId, bytes32 indexed poolId, bytes32 indexed nodeId);

    /// @notice The owner or the provider removed the workload.
    event WorkloadRemoved(bytes32 indexed workloadId, bytes32 indexed poolId, address indexed by);

    /// @notice The workload was closed after the pool's grace period ended.
    event WorkloadExpired(bytes32 indexed workloadId, bytes32 indexed poolId, address indexed by);

    /// @notice A provider withdrew its earnings.
    event EarningsWithdrawn(address indexed provider, address indexed to, uint256 amount);

    /// @notice The beneficiary withdrew the pool's unconsumed balance; the pool is left with nothing.
    event UnconsumedWithdrawn(bytes32 indexed poolId, address indexed beneficiary, address to, uint256 amount);

    /// @notice The customer cancelled a nonce: no reservation signed with it can be submitted.
    event NonceCancelled(address indexed customer, uint256 nonce);

    /*//////////////////////////////////////////////////////////////
                              VIEW FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The ERC20 capacity is priced and paid in.
    function token() external view returns (IERC20);

    /// @notice The most nodes a pool may have.
    function MAX_NODES_PER_POOL() external view returns (uint256);

    /// @notice The most live (assigned or running) workloads a pool may have.
    function MAX_WORKLOADS_PER_POOL() external view returns (uint256);

    /// @notice The most elements a list argument may have.
    function MAX_BATCH() external view returns (uint256);

    /// @notice The longest grace period a pool may have.
    function MAX_GRACE_SECONDS() external view returns (uint256);

    /// @notice The runway a workload needs when it starts: `now + MIN_RUNWAY < emptyAt` afterwards (seconds).
    function MIN_RUNWAY() external view returns (uint256);

    /// @notice Runway at or below which a running pool's status is RunwayLow (seconds).
    function LOW_RUNWAY() external view returns (uint256);

    /// @notice `emptyAt` of a pool that never empties (no non-zero rate).
    function NEVER() external view returns (uint40);

    /// @notice A farm's ID: keccak256(abi.encode(provider, salt)).
    function farmIdOf(address provider, bytes32 salt) external pure returns (bytes32);

    /// @notice A farm (provider zero: none).
    function getFarm(bytes32 farmId) external view returns (Farm memory);

    /// @notice The farm that declared a node (zero: none).
    function farmOfNode(bytes32 nodeId) external view returns (bytes32);

    /// @notice A pool as of its last update (owner zero: none).
    function getPool(bytes32 poolId) external view returns (Pool memory);

    /// @notice A pool as a sync now would leave it (balances, `lastUpdated`, status), without writing.
    /// @dev Reverts with `CapacityPools_PoolNotFound` for an unknown pool.
    function currentPool(bytes32 poolId) external view returns (Pool memory);

    /// @notice Whether the node is one of the pool's.
    function poolHasNode(bytes32 poolId, bytes32 nodeId) external view returns (bool);

    /// @notice A workload (status None: none).
    function getWorkload(bytes32 workloadId) external view returns (Workload memory);

    /// @notice What a provider has accrued from synced pools and not withdrawn.
    function earnings(address provider) external view returns (uint256);

    /// @notice Whether the customer used or cancelled the nonce.
    function nonceUsed(address customer, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest the customer (and the sponsor) sign; a pool the reservation creates gets it as ID.
    function reservationDigest(Reservation calldata reservation) external view returns (bytes32);

    /// @notice What the reservation would cost at the farm's current prices.
    function reservationCost(Reservation calldata reservation) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                          STATE-CHANGING FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Create a farm with its prices; the caller is its provider. Its pools may have grace periods of up to
    /// MAX_GRACE_SECONDS until the provider sets a lower limit (`setFarmGraceLimit`).
    /// @dev Emits {FarmCreated} and {FarmGraceLimitSet}. Reverts with `CapacityPools_FarmExists` for a salt the caller
    /// used.
    /// @param salt Any value; the farm's ID is `farmIdOf(msg.sender, salt)`.
    /// @return farmId The new farm's ID.
    function createFarm(bytes32 salt, Prices calldata prices) external returns (bytes32 farmId);

    /// @notice Set the farm's prices for capacity bought from now on.
    /// @dev Only the farm's provider. Emits {FarmPricesSet}.
    function setFarmPrices(bytes32 farmId, Prices calldata prices) external;

    /// @notice Set the longest grace period the farm's new pools may have (its workloads stay on its nodes, free,
    /// while their pool is empty). Pools created earlier keep theirs.
    /// @dev Only the farm's provider; at most MAX_GRACE_SECONDS (`CapacityPools_GraceTooLong`). Emits
    /// {FarmGraceLimitSet}.
    function setFarmGraceLimit(bytes32 farmId, uint32 maxGraceSeconds) external;

    /// @notice Declare nodes as the farm's. A node belongs to the first farm that declares it, for good.
    /// @dev Only the farm's provider; 1 to MAX_BATCH non-zero, undeclared IDs. Emits {NodeDeclared} for each.
    function declareNodes(bytes32 farmId, bytes32[] calldata nodeIds) external;

    /// @notice Submit a reservation signed by its customer (and its sponsor, if any): creates a pool or tops one
    /// up, pulling the cost from the payer (approve this contract first).
    /// @dev Anyone may submit. A signer that submits needs no signature of its own (pass empty bytes);
    /// contract wallets sign with ERC-1271. Checks, in order: deadline, customer, nonce, signatures, farm, at most
    /// MAX_NODES_PER_POOL nodes listed, then creation (at least one node, grace ≤ the farm's limit, distinct nodes
    /// of the farm) or top-up (the pool exists, the pool's farm, no grace, not past grace with workloads running,
    /// nodes added only by the owner, of the farm and within bounds, something bought or added), then cost ≤ maxCost.
    /// Emits {PoolCreated} and {PoolNodeAdded}s (creation); {Accrued} and {PoolNodeAdded}s for new nodes (top-up);
    /// {CapacityAdded}, {PoolUpdated}, and {PoolStatusChanged} when the status changes.
    /// @return poolId The pool created or topped up.
    function reserve(
        Reservation calldata reservation,
        bytes calldata customerSignature,
        bytes calldata sponsorSignature
    ) external returns (bytes32 poolId);

    /// @notice Cancel a nonce so that no reservation signed with it can be submitted.
    /// @dev Reverts with `CapacityPools_NonceUsed` if it is used or cancelled already. Emits {NonceCancelled}.
    function cancelNonce(uint256 nonce) external;

    /// @notice The pool's owner assigns a workload to one of the pool's nodes. It draws nothing until the node's
    /// provider starts it.
    /// @dev Idempotent, as in the reference: assigning a live workload again with the same pool, node and rates
    /// changes nothing. Reverts, in order: zero ID, unknown pool, caller not the owner, an ID in use with other
    /// parameters or used before (`CapacityPools_WorkloadExists`), node not in the pool, the pool at
    /// MAX_WORKLOADS_PER_POOL. Emits {WorkloadAssigned}.
    /// @param rates Thousandths of a CU, SU and IPv4U per second (`computeUnits` in the TypeScript model).
    function assignWorkload(bytes32 workloadId, bytes32 poolId, bytes32 nodeId, WorkloadRates calldata rates) external;

    /// @notice The provider of the workload's node starts it: charging starts now.
    /// @dev Idempotent for a running workload. Only the farm's provider, for an assigned workload, not in a pool
    /// past its grace period (`CapacityPools_GraceOver`: its workloads are being decommissioned), and only if the
    /// pool keeps more than MIN_RUNWAY seconds of runway with the workload's rates added
    /// (`CapacityPools_InsufficientRunway`, "the pool needs additional capacity"). Emits {Accrued},
    /// {WorkloadStarted}, {PoolUpdated} and {PoolStatusChanged} when the status changes.
    function startWorkload(bytes32 workloadId) external;

    /// @notice The pool's owner or the farm's provider removes a workload (assigned or running).
    /// @dev A workload that does not exist is a no-op, as in the reference; so is, for the pool's owner or the
    /// farm's provider, one no longer live (anyone else gets `CapacityPools_Unauthorized`). Emits {Accrued},
    /// {WorkloadRemoved}, {PoolUpdated} and {PoolStatusChanged} when the status changes.
    function removeWorkload(bytes32 workloadId) external;

    /// @notice Close running workloads of pools whose grace period is over. Anyone may call it.
    /// @dev 1 to MAX_BATCH IDs; each must be running (`CapacityPools_InvalidWorkloadStatus`) in a pool in
    /// GraceOver (`CapacityPools_NotExpired`). Emits {WorkloadExpired} for each, {PoolUpdated} and
    /// {PoolStatusChanged}.
    function closeExpiredWorkloads(bytes32[] calldata workloadIds) external;

    /// @notice Sync a pool now: accrue its consumption to the provider and bring its status up to date, so that
    /// its runway-low, empty and grace-over events are emitted. Anyone may call it.
    /// @dev Emits {Accrued}, {PoolUpdated} and {PoolStatusChanged} when the status changes.
    function syncPool(bytes32 poolId) external;

    /// @notice The caller (a provider) withdraws its earnings to `to`, after syncing the pools named.
    /// @dev 0 to MAX_BATCH pools, each must exist. Reverts with `CapacityPools_NothingToWithdraw` when the total
    /// is zero. Emits what `syncPool` emits for each pool, and {EarningsWithdrawn}.
    function withdrawEarnings(address to, bytes32[] calldata poolIds) external;

    /// @notice The pool's beneficiary (its sponsor, else its owner) withdraws the unconsumed balance to `to`.
    /// @dev Only while no workload runs (`CapacityPools_PoolBusy`). The pool keeps its nodes and workloads and can
    /// be topped up again. Emits {PoolUpdated} and {UnconsumedWithdrawn}.
    function withdrawUnconsumed(bytes32 poolId, address to) external;
}
