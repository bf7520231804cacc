// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { SignatureChecker } from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { JobStore } from "./abstracts/JobStore.sol";
import { IJobEscrow } from "./interfaces/IJobEscrow.sol";
import { IMachineRegistry } from "./interfaces/IMachineRegistry.sol";
import { EscrowHashing } from "./libraries/EscrowHashing.sol";
import { Errors } from "./libraries/Errors.sol";
import { Attestation, Job, JobStatus, OracleSet, OracleSignature, RefundReason } from "./types/EscrowTypes.sol";

/// @title JobEscrow
/// @notice See {IJobEscrow}. It holds exactly the maxPrice of its unsettled jobs plus the deferred payouts.
contract JobEscrow is IJobEscrow, JobStore, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Deploys the escrow (see {JobStore-constructor}).
    constructor(
        IERC20 paymentToken,
        IMachineRegistry machines,
        uint64 acceptance,
        uint64 window
    ) JobStore(paymentToken, machines, acceptance, window) {}

    /// @inheritdoc IJobEscrow
    function open(
        bytes32 salt,
        bytes32 machineId,
        uint32 timeLimit,
        uint128 maxPrice,
        OracleSet calldata oracle
    ) external override nonReentrant returns (bytes32 id) {
        id = EscrowHashing.jobId(msg.sender, salt);
        Job storage job = _jobs[id];
        if (job.status != JobStatus.None) revert Errors.JobEscrow_JobExists(id);
        (address provider, uint128 pricePerMinute, bool available) = registry.offer(machineId);
        if (!available) revert Errors.JobEscrow_MachineUnavailable(machineId);
        if (timeLimit == 0 || timeLimit > MAX_TIME_LIMIT) {
            revert Errors.JobEscrow_InvalidTimeLimit(timeLimit, MAX_TIME_LIMIT);
        }
        if (maxPrice == 0) revert Errors.JobEscrow_ZeroMaxPrice();
        _checkOracleSet(oracle);
        bytes32 oracleHash = EscrowHashing.hashOracleSet(oracle);

        job.requester = msg.sender;
        job.openedAt = uint64(block.timestamp);
        job.status = JobStatus.Open;
        job.provider = provider;
        job.timeLimit = timeLimit;
        job.machineId = machineId;
        job.oracleHash = oracleHash;
        job.maxPrice = maxPrice;
        job.pricePerMinute = pricePerMinute;
        emit JobOpened(
            id,
            msg.sender,
            machineId,
            provider,
            salt,
            timeLimit,
            maxPrice,
            pricePerMinute,
            oracleHash,
            oracle
        );
        token.safeTransferFrom(msg.sender, address(this), maxPrice);
    }

    /// @inheritdoc IJobEscrow
    function accept(bytes32 id) external override nonReentrant {
        Job storage job = _job(id);
        if (job.status != JobStatus.Open) revert Errors.JobEscrow_InvalidState(id, job.status);
        if (msg.sender != job.provider) revert Errors.JobEscrow_Unauthorized(id, msg.sender);
        uint256 deadline = uint256(job.openedAt) + acceptanceTimeout;
        if (block.timestamp > deadline) revert Errors.JobEscrow_DeadlinePassed(id, deadline);
        (, , bool available) = registry.offer(job.machineId);
        if (!available) revert Errors.JobEscrow_MachineUnavailable(job.machineId);
        job.status = JobStatus.Accepted;
        job.acceptedAt = uint64(block.timestamp);
        emit JobAccepted(id, msg.sender);
    }

    /// @inheritdoc IJobEscrow
    function refundUnaccepted(bytes32 id) external override nonReentrant {
        Job storage job = _job(id);
        if (job.status != JobStatus.Open) revert Errors.JobEscrow_InvalidState(id, job.status);
        uint256 deadline = uint256(job.openedAt) + acceptanceTimeout;
        if (block.timestamp <= deadline) revert Errors.JobEscrow_DeadlineNotPassed(id, deadline);
        _refund(id, job, RefundReason.Unaccepted);
    }

    /// @inheritdoc IJobEscrow
    function reportCompletion(bytes32 id, uint64 runSeconds) external override nonReentrant {
        Job storage job = _job(id);
        if (job.status != JobStatus.Accepted) revert Errors.JobEscrow_InvalidState(id, job.status);
        if (msg.sender != job.provider) revert Errors.JobEscrow_Unauthorized(id, msg.sender);
        uint32 timeLimit = job.timeLimit;
        uint256 deadline = uint256(job.acceptedAt) + timeLimit;
        if (block.timestamp > deadline) revert Errors.JobEscrow_DeadlinePassed(id, deadline);
        if (runSeconds > timeLimit) revert Errors.JobEscrow_RunTooLong(id, runSeconds, timeLimit);
        job.status = JobStatus.Completed;
        job.completedAt = uint64(block.timestamp);
        job.reportedRunSeconds = runSeconds;
        emit JobCompleted(id, msg.sender, runSeconds);
    }

    /// @inheritdoc IJobEscrow
    function attest(
        Attestation calldata attestation,
        OracleSet calldata oracle,
        OracleSignature[] calldata signatures
    ) external override nonReentrant {
        bytes32 id = attestation.jobId;
        Job storage job = _job(id);
        _checkAttestable(id, job, attestation.bps, attestation.runSeconds);
        bytes32 given = EscrowHashing.hashOracleSet(oracle);
        if (given != job.oracleHash) revert Errors.JobEscrow_OracleSetMismatch(id, given, job.oracleHash);
        if (oracle.oracleContract != address(0)) revert Errors.JobEscrow_WrongOracleKind(id);
        _checkSignatures(attestationDigest(attestation), oracle, signatures);
        _settle(id, job, attestation.bps, attestation.runSeconds);
    }

    /// @inheritdoc IJobEscrow
    function attestByOracle(bytes32 id, uint16 bps, uint64 runSeconds) external override nonReentrant {
        Job storage job = _job(id);
        _checkAttestable(id, job, bps, runSeconds);
        if (EscrowHashing.hashOracleContract(msg.sender) != job.oracleHash) {
            revert Errors.JobEscrow_Unauthorized(id, msg.sender);
        }
        _settle(id, job, bps, runSeconds);
    }

    /// @inheritdoc IJobEscrow
    function refundUnattested(bytes32 id) external override nonReentrant {
        Job storage job = _job(id);
        JobStatus status = job.status;
        if (status != JobStatus.Accepted && status != JobStatus.Completed) {
            revert Errors.JobEscrow_InvalidState(id, status);
        }
        (uint256 completesAt, bool completed) = _completion(job);
        if (!completed) revert Errors.JobEscrow_NotCompleted(id, completesAt);
        uint256 deadline = completesAt + attestationWindow;
        if (block.timestamp <= deadline) revert Errors.JobEscrow_DeadlineNotPassed(id, deadline);
        _refund(id, job, RefundReason.Unattested);
    }

    /// @inheritdoc IJobEscrow
    function withdraw(address to) external override nonReentrant {
        uint256 amount = deferredPayouts[msg.sender];
        if (amount == 0) revert Errors.JobEscrow_NothingToWithdraw(msg.sender);
        if (to == address(0)) revert Errors.JobEscrow_ZeroAddress();
        deferredPayouts[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @dev The job `id`, which must exist.
    function _job(bytes32 id) private view returns (Job storage job) {
        job = _jobs[id];
        if (job.status == JobStatus.None) revert Errors.JobEscrow_JobNotFound(id);
    }

    /// @dev An oracle set is a key set or an oracle contract alone (see {OracleSet}).
    function _checkOracleSet(OracleSet calldata oracle) private pure {
        uint256 count = oracle.signers.length;
        if (oracle.oracleContract != address(0)) {
            if (count != 0 || oracle.threshold != 0) revert Errors.JobEscrow_InvalidOracleSet();
            return;
        }
        if (count == 0 || count > MAX_ORACLES || oracle.threshold == 0 || oracle.threshold > count) {
            revert Errors.JobEscrow_InvalidOracleSet();
        }
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address signer = oracle.signers[i];
            if (signer <= previous) revert Errors.JobEscrow_InvalidOracleSet();
            previous = signer;
        }
    }

    /// @dev The job can take the outcome `bps` over `runSeconds` now.
    function _checkAttestable(bytes32 id, Job storage job, uint16 bps, uint64 runSeconds) private view {
        JobStatus status = job.status;
        if (status != JobStatus.Accepted && status != JobStatus.Completed) {
            revert Errors.JobEscrow_InvalidState(id, status);
        }
        (uint256 completesAt, bool completed) = _completion(job);
        if (!completed) revert Errors.JobEscrow_NotCompleted(id, completesAt);
        uint256 deadline = completesAt + attestationWindow;
        if (block.timestamp > deadline) revert Errors.JobEscrow_DeadlinePassed(id, deadline);
        if (bps > MAX_BPS) revert Errors.JobEscrow_InvalidBps(bps);
        if (runSeconds > job.timeLimit) revert Errors.JobEscrow_RunTooLong(id, runSeconds, job.timeLimit);
    }

    /// @dev At least `threshold` valid signatures of distinct signers, their indices strictly increasing (so the
    /// loop is bounded by the set's size, at most MAX_ORACLES, and no signer counts twice).
    function _checkSignatures(
        bytes32 digest,
        OracleSet calldata oracle,
        OracleSignature[] calldata signatures
    ) private view {
        uint256 count = signatures.length;
        if (count < oracle.threshold) revert Errors.JobEscrow_NotEnoughSignatures(count, oracle.threshold);
        uint256 setSize = oracle.signers.length;
        uint256 next = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint8 index = signatures[i].index;
            if (index < next || index >= setSize) revert Errors.JobEscrow_InvalidSignerIndex(i, index);
            next = uint256(index) + 1;
            address signer = oracle.signers[index];
            if (!SignatureChecker.isValidSignatureNow(signer, digest, signatures[i].signature)) {
                revert Errors.JobEscrow_InvalidSignature(i, signer);
            }
        }
    }

    /// @dev Pays the outcome: the provider's share of the cost, the rest back to the requester.
    function _settle(bytes32 id, Job storage job, uint16 bps, uint64 runSeconds) private {
        (uint256 completesAt, ) = _completion(job);
        (, uint256 payout, uint256 refund) = quote(job.maxPrice, job.pricePerMinute, runSeconds, bps);
        job.status = JobStatus.Attested;
        job.completedAt = uint64(completesAt);
        job.bps = bps;
        job.runSeconds = runSeconds;
        emit JobAttested(id, bps, runSeconds, payout, refund);
        _push(job.provider, payout);
        _push(job.requester, refund);
    }

    /// @dev Pays all of maxPrice back to the requester.
    function _refund(bytes32 id, Job storage job, RefundReason reason) private {
        job.status = JobStatus.Refunded;
        uint256 amount = job.maxPrice;
        address requester = job.requester;
        emit JobRefunded(id, requester, amount, reason);
        _push(requester, amount);
    }
}
