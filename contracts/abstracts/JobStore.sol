// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import { IJobEscrow } from "../interfaces/IJobEscrow.sol";
import { IMachineRegistry } from "../interfaces/IMachineRegistry.sol";
import { EscrowHashing } from "../libraries/EscrowHashing.sol";
import { Errors } from "../libraries/Errors.sol";
import { Attestation, Job, JobStatus, OracleSet } from "../types/EscrowTypes.sol";

/// @title JobStore
/// @notice The job escrow's storage (jobs, deferred payouts), its bounds and configuration, the EIP-712 domain, the
/// views, and the token movements out: a payout pushed, a failed one kept for withdrawal.
abstract contract JobStore is IJobEscrow, EIP712 {
    using SafeERC20 for IERC20;

    /// @inheritdoc IJobEscrow
    uint256 public constant override MAX_ORACLES = 16;
    /// @inheritdoc IJobEscrow
    uint32 public constant override MAX_TIME_LIMIT = 30 days;
    /// @inheritdoc IJobEscrow
    uint64 public constant override MAX_WINDOW = 30 days;
    /// @inheritdoc IJobEscrow
    uint16 public constant override MAX_BPS = 10_000;

    /// @inheritdoc IJobEscrow
    IERC20 public immutable override token;
    /// @inheritdoc IJobEscrow
    IMachineRegistry public immutable override registry;
    /// @inheritdoc IJobEscrow
    uint64 public immutable override acceptanceTimeout;
    /// @inheritdoc IJobEscrow
    uint64 public immutable override attestationWindow;

    mapping(bytes32 jobId => Job job) internal _jobs;

    /// @inheritdoc IJobEscrow
    mapping(address account => uint256 amount) public override deferredPayouts;

    /// @notice Sets the token, the registry and the two windows.
    /// @param paymentToken The token jobs are paid in.
    /// @param machines The registry jobs' machines are registered in.
    /// @param acceptance Seconds after opening the provider has to accept, 1..MAX_WINDOW.
    /// @param window Seconds after completion the oracles have to attest, 1..MAX_WINDOW.
    constructor(
        IERC20 paymentToken,
        IMachineRegistry machines,
        uint64 acceptance,
        uint64 window
    ) EIP712("Accord JobEscrow", "1") {
        if (address(paymentToken) == address(0) || address(machines) == address(0)) {
            revert Errors.JobEscrow_ZeroAddress();
        }
        if (acceptance == 0 || acceptance > MAX_WINDOW) revert Errors.JobEscrow_InvalidWindow(acceptance, MAX_WINDOW);
        if (window == 0 || window > MAX_WINDOW) revert Errors.JobEscrow_InvalidWindow(window, MAX_WINDOW);
        token = paymentToken;
        registry = machines;
        acceptanceTimeout = acceptance;
        attestationWindow = window;
    }

    /// @inheritdoc IJobEscrow
    function jobId(address requester, bytes32 salt) external pure override returns (bytes32) {
        return EscrowHashing.jobId(requester, salt);
    }

    /// @inheritdoc IJobEscrow
    function getJob(bytes32 id) external view override returns (Job memory) {
        return _jobs[id];
    }

    /// @inheritdoc IJobEscrow
    function jobStatus(bytes32 id) external view override returns (JobStatus) {
        return _jobs[id].status;
    }

    /// @inheritdoc IJobEscrow
    function completionTime(bytes32 id) external view override returns (uint256) {
        Job storage job = _jobs[id];
        if (job.acceptedAt == 0) return 0;
        (uint256 completesAt, ) = _completion(job);
        return completesAt;
    }

    /// @inheritdoc IJobEscrow
    function isAttestable(bytes32 id) external view override returns (bool) {
        Job storage job = _jobs[id];
        JobStatus status = job.status;
        if (status != JobStatus.Accepted && status != JobStatus.Completed) return false;
        (uint256 completesAt, bool completed) = _completion(job);
        return completed && block.timestamp <= completesAt + attestationWindow;
    }

    /// @inheritdoc IJobEscrow
    function hashOracleSet(OracleSet calldata oracle) external pure override returns (bytes32) {
        return EscrowHashing.hashOracleSet(oracle);
    }

    /// @inheritdoc IJobEscrow
    function attestationDigest(Attestation calldata attestation) public view override returns (bytes32) {
        return _hashTypedDataV4(EscrowHashing.hashAttestation(attestation));
    }

    /// @inheritdoc IJobEscrow
    function quote(
        uint128 maxPrice,
        uint128 pricePerMinute,
        uint64 runSeconds,
        uint16 bps
    ) public pure override returns (uint256 cost, uint256 payout, uint256 refund) {
        cost = (uint256(pricePerMinute) * runSeconds) / 60;
        if (cost > maxPrice) cost = maxPrice;
        payout = (cost * bps) / MAX_BPS;
        refund = maxPrice - payout;
    }

    /// @dev When an accepted job completes or completed (its report, else `acceptedAt + timeLimit`), and whether
    /// it has.
    function _completion(Job storage job) internal view returns (uint256 completesAt, bool completed) {
        if (job.status == JobStatus.Accepted) {
            completesAt = uint256(job.acceptedAt) + job.timeLimit;
            completed = block.timestamp > completesAt;
        } else {
            completesAt = job.completedAt;
            completed = true;
        }
    }

    /// @dev Pays `amount` to `to`, or keeps it for `to` to withdraw when the transfer fails.
    function _push(address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.trySafeTransfer(to, amount)) {
            deferredPayouts[to] += amount;
            emit PayoutDeferred(to, amount);
        }
    }
}
