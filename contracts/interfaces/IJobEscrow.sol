// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { IMachineRegistry } from "./IMachineRegistry.sol";
import { Attestation, Job, JobStatus, OracleSet, OracleSignature, RefundReason } from "../types/EscrowTypes.sol";

/// @title IJobEscrow
/// @notice Time-priced jobs on registered machines, their outcome attested by oracles both parties chose. Many jobs
/// run at once, each on its own.
///
/// 1. `open`: the requester locks `maxPrice` for a machine, a time limit and an oracle set; the machine's provider
///    and price per minute are fixed in the job (a later change in the registry never touches it).
/// 2. `accept`: the provider agrees to the job and its oracle set, within `acceptanceTimeout` of the opening, while
///    the machine is registered and available; after the timeout, `refundUnaccepted` refunds everything.
/// 3. `reportCompletion(runSeconds)`: the provider reports the run (at most the time limit) before
///    `acceptedAt + timeLimit`; without a report, the time limit passing counts as completion at
///    `acceptedAt + timeLimit`. Either starts the attestation window (`attestationWindow` seconds).
/// 4. `attest` (an m-of-n key set: EIP-712 `Attestation(bytes32 jobId,uint16 bps,uint64 runSeconds)` signed by at
///    least m distinct keys of the set, ECDSA or ERC-1271) or `attestByOracle` (an oracle contract, e.g. the
///    operator quorum's QuorumJobOracle) fixes the outcome: cost = min(maxPrice, pricePerMinute * runSeconds / 60)
///    with the attested run time (rounded down), payout = cost * bps / 10000 (rounded down) to the provider, and
///    maxPrice - payout back to the requester.
/// 5. No attestation by the end of the window: `refundUnattested` refunds everything.
/// @dev Funds are conserved to the wei: the contract's token balance is the sum of the maxPrice of the jobs not yet
/// attested or refunded plus the deferred payouts (a plain ERC20 is assumed: no fee on transfer, no rebasing).
/// Every payout is pushed; a transfer that fails (a blacklisted account, a reverting token hook) is kept in
/// `deferredPayouts` for its owner to `withdraw`, so neither party can block the other. The timeouts, refunds
/// and settlement are callable by anyone (the tokens only ever go to the job's parties). No admin, no loop over
/// anything but an attestation's signatures (at most MAX_ORACLES).
interface IJobEscrow {
    /// @notice A job was opened and `maxPrice` locked.
    event JobOpened(
        bytes32 indexed jobId,
        address indexed requester,
        bytes32 indexed machineId,
        address provider,
        bytes32 salt,
        uint32 timeLimit,
        uint128 maxPrice,
        uint128 pricePerMinute,
        bytes32 oracleHash,
        OracleSet oracle
    );

    /// @notice The provider accepted the job (and its oracle set).
    event JobAccepted(bytes32 indexed jobId, address indexed provider);

    /// @notice The provider reported the job complete after `runSeconds`; the attestation window runs from now.
    event JobCompleted(bytes32 indexed jobId, address indexed provider, uint64 runSeconds);

    /// @notice The outcome was attested: `payout` to the provider, `refund` to the requester.
    event JobAttested(bytes32 indexed jobId, uint16 bps, uint64 runSeconds, uint256 payout, uint256 refund);

    /// @notice All of maxPrice went back to the requester.
    event JobRefunded(bytes32 indexed jobId, address indexed requester, uint256 amount, RefundReason reason);

    /// @notice A payout to `account` failed and was kept for it to withdraw.
    event PayoutDeferred(address indexed account, uint256 amount);

    /// @notice An account withdrew its deferred payouts.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    /// @notice The most keys an oracle set may have.
    function MAX_ORACLES() external view returns (uint256);

    /// @notice The longest time limit a job may have, in seconds.
    function MAX_TIME_LIMIT() external view returns (uint32);

    /// @notice The longest acceptance timeout or attestation window a deployment may have, in seconds.
    function MAX_WINDOW() external view returns (uint64);

    /// @notice The outcome that pays the provider the whole cost.
    function MAX_BPS() external view returns (uint16);

    /// @notice The token jobs are paid in.
    function token() external view returns (IERC20);

    /// @notice The registry jobs' machines are registered in.
    function registry() external view returns (IMachineRegistry);

    /// @notice Seconds after opening within which the provider may accept.
    function acceptanceTimeout() external view returns (uint64);

    /// @notice Seconds after completion within which an attestation is accepted.
    function attestationWindow() external view returns (uint64);

    /// @notice Failed payouts kept for an account.
    function deferredPayouts(address account) external view returns (uint256);

    /// @notice A job's ID: keccak256(abi.encode(requester, salt)).
    function jobId(address requester, bytes32 salt) external pure returns (bytes32);

    /// @notice A job's record (all zero if none).
    function getJob(bytes32 jobId) external view returns (Job memory);

    /// @notice A job's status.
    function jobStatus(bytes32 jobId) external view returns (JobStatus);

    /// @notice When the job completed, or completes without a report (`acceptedAt + timeLimit`); 0 before
    /// acceptance.
    function completionTime(bytes32 jobId) external view returns (uint256);

    /// @notice Whether an attestation would be accepted now: accepted and completed (reported, or its time limit
    /// over), not settled, within the attestation window.
    function isAttestable(bytes32 jobId) external view returns (bool);

    /// @notice The commitment jobs store of an oracle set: keccak256(abi.encode(signers, threshold,
    /// oracleContract)).
    function hashOracleSet(OracleSet calldata oracle) external pure returns (bytes32);

    /// @notice The EIP-712 digest oracles sign for an attestation (the domain "Accord JobEscrow", "1", this chain
    /// and this contract).
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32);

    /// @notice What an outcome pays: the cost min(maxPrice, pricePerMinute * runSeconds / 60), the payout
    /// cost * bps / 10000 and the refund maxPrice - payout (all rounded down, as `attest` pays).
    function quote(
        uint128 maxPrice,
        uint128 pricePerMinute,
        uint64 runSeconds,
        uint16 bps
    ) external pure returns (uint256 cost, uint256 payout, uint256 refund);

    /// @notice Opens a job on a machine and locks `maxPrice` of the caller's tokens (approved to this contract).
    /// @param salt Any value; the ID is keccak256(abi.encode(caller, salt)).
    /// @param machineId The machine (registered and available now).
    /// @param timeLimit The longest the job may run, in seconds, 1..MAX_TIME_LIMIT.
    /// @param maxPrice The most the provider can be paid (> 0).
    /// @param oracle Who attests the outcome (see {OracleSet}).
    /// @return id The job's ID.
    /// @dev Reverts: `JobEscrow_JobExists`, `_MachineUnavailable`, `_InvalidTimeLimit`, `_ZeroMaxPrice`,
    /// `_InvalidOracleSet`, and the token's (SafeERC20) errors. Emits {JobOpened}.
    function open(
        bytes32 salt,
        bytes32 machineId,
        uint32 timeLimit,
        uint128 maxPrice,
        OracleSet calldata oracle
    ) external returns (bytes32 id);

    /// @notice The provider accepts the job: it agrees to its terms and oracle set and starts it.
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState` (not Open), `_Unauthorized` (not the provider),
    /// `_DeadlinePassed` (after `openedAt + acceptanceTimeout`), `_MachineUnavailable` (removed or not available).
    /// Emits {JobAccepted}.
    function accept(bytes32 jobId) external;

    /// @notice Refunds a job the provider did not accept in time (anyone may call; the requester is paid).
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState` (not Open), `_DeadlineNotPassed` (not after
    /// `openedAt + acceptanceTimeout`). Emits {JobRefunded} (reason Unaccepted), perhaps {PayoutDeferred}.
    function refundUnaccepted(bytes32 jobId) external;

    /// @notice The provider reports the job complete after `runSeconds`; the attestation window starts now.
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState` (not Accepted), `_Unauthorized` (not the provider),
    /// `_DeadlinePassed` (after `acceptedAt + timeLimit`: it already counts as completed), `_RunTooLong`.
    /// Emits {JobCompleted}.
    function reportCompletion(bytes32 jobId, uint64 runSeconds) external;

    /// @notice Settles a job with its key set's attestation (anyone may submit it).
    /// @param attestation The outcome and run time the oracles signed.
    /// @param oracle The job's oracle set (checked against its hash).
    /// @param signatures At least `threshold` signatures, their signer indices strictly increasing.
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState` (not Accepted or Completed), `_NotCompleted`,
    /// `_DeadlinePassed` (the attestation window closed), `_InvalidBps`, `_RunTooLong`, `_OracleSetMismatch`,
    /// `_WrongOracleKind` (the set is an oracle contract), `_InvalidSignerIndex` (duplicated, out of order or
    /// beyond the set), `_InvalidSignature`, `_NotEnoughSignatures`. Emits {JobAttested}, perhaps {PayoutDeferred}.
    function attest(
        Attestation calldata attestation,
        OracleSet calldata oracle,
        OracleSignature[] calldata signatures
    ) external;

    /// @notice Settles a job whose oracle set is an oracle contract: only that contract may call.
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState`, `_NotCompleted`, `_DeadlinePassed`, `_InvalidBps`,
    /// `_RunTooLong`, `_Unauthorized` (the caller is not the job's oracle contract). Emits {JobAttested}.
    function attestByOracle(bytes32 jobId, uint16 bps, uint64 runSeconds) external;

    /// @notice Refunds a completed job no attestation came for within the window (anyone may call).
    /// @dev Reverts: `JobEscrow_JobNotFound`, `_InvalidState` (not Accepted or Completed), `_NotCompleted`,
    /// `_DeadlineNotPassed` (the window is still open). Emits {JobRefunded} (reason Unattested).
    function refundUnattested(bytes32 jobId) external;

    /// @notice Pays the caller's deferred payouts to `to`.
    /// @dev Reverts: `JobEscrow_NothingToWithdraw`, `_ZeroAddress`, and the token's errors. Emits {Withdrawn}.
    function withdraw(address to) external;
}
