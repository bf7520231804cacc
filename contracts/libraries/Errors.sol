// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { AgreementState } from "../types/DataTypes.sol";
import { JobStatus, MachineStatus } from "../types/EscrowTypes.sol";
import { PoolStatus, WorkloadStatus } from "../types/PoolTypes.sol";
import { OperatorStatus, TaskStatus } from "../types/QuorumTypes.sol";

/// @title Errors
/// @notice Every custom error of the Accord contracts, in one place so clients decode them from one ABI.
library Errors {
    /*//////////////////////////////////////////////////////////////
                               DEAL MARKET
    //////////////////////////////////////////////////////////////*/

    /// @notice The deal ID is zero.
    error DealMarket_ZeroDealId();

    /// @notice A deal with this key (ID and parties) already exists (also what a replayed signed agreement hits).
    error DealMarket_DealExists(bytes32 dealKey);

    /// @notice No deal with this key (ID and parties) exists.
    error DealMarket_DealNotFound(bytes32 dealKey);

    /// @notice The terms (or result data) passed do not match the deal's stored commitment.
    error DealMarket_TermsMismatch(bytes32 dealKey);

    /// @notice The deal is not in the state the action needs.
    error DealMarket_InvalidState(bytes32 dealKey, AgreementState current, AgreementState expected);

    /// @notice The caller is not the party allowed to take this action.
    error DealMarket_Unauthorized(bytes32 dealKey, address caller);

    /// @notice The party has already agreed to this deal.
    error DealMarket_AlreadyAgreed(bytes32 dealKey, address party);

    /// @notice The step's deadline has passed; only its timeout remains.
    error DealMarket_DeadlinePassed(bytes32 dealKey, uint256 deadline);

    /// @notice The step's deadline has not passed yet; the timeout cannot be claimed.
    error DealMarket_DeadlineNotPassed(bytes32 dealKey, uint256 deadline);

    /// @notice The mediator cannot be known yet: it is drawn from the hash of `drawBlock`, which exists from the
    /// next block on.
    error DealMarket_DrawPending(bytes32 dealKey, uint256 drawBlock);

    /// @notice The hash of `drawBlock` is older than the 256 blocks the EVM keeps and nobody fixed the draw in
    /// time: call `drawMediator` to draw again from a new block.
    error DealMarket_DrawExpired(bytes32 dealKey, uint256 drawBlock);

    /// @notice The mediator of this deal is already drawn and fixed.
    error DealMarket_MediatorAlreadyDrawn(bytes32 dealKey, address mediator);

    /// @notice The job creator or resource provider is the zero address.
    error DealMarket_ZeroAddressParty();

    /// @notice The job creator and the resource provider are the same account.
    error DealMarket_SameParty(address account);

    /// @notice The terms name no mediator, so a result could never be checked.
    error DealMarket_NoMediators();

    /// @notice The mediator at `index` is the zero address: it could never decide, so a dispute would only end
    /// by timeout.
    error DealMarket_ZeroAddressMediator(uint256 index);

    /// @notice The terms name more mediators than the market accepts.
    error DealMarket_TooManyMediators(uint256 count, uint256 max);

    /// @notice A signed agreement was submitted after its deadline.
    error DealMarket_SignatureExpired(uint256 deadline);

    /// @notice A signature does not come from the party it must come from.
    error DealMarket_InvalidSignature(address expectedSigner);

    /// @notice The caller has no deferred payout to withdraw.
    error DealMarket_NothingToWithdraw(address account);

    /// @notice The payment token is the zero address.
    error DealMarket_ZeroAddressToken();

    /*//////////////////////////////////////////////////////////////
                            SERVICE REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice The roles bitmap is empty or names a ServiceType that does not exist.
    error ServiceRegistry_InvalidRoles(uint8 roles);

    /// @notice The account is not registered.
    error ServiceRegistry_NotRegistered(address account);

    /// @notice The URL is longer than the registry accepts.
    error ServiceRegistry_UrlTooLong(uint256 length, uint256 max);

    /*//////////////////////////////////////////////////////////////
                             CAPACITY POOLS
    //////////////////////////////////////////////////////////////*/

    /// @notice The payment token is the zero address.
    error CapacityPools_ZeroAddressToken();

    /// @notice A farm with this ID (the provider's address and salt) already exists.
    error CapacityPools_FarmExists(bytes32 farmId);

    /// @notice No farm has this ID.
    error CapacityPools_FarmNotFound(bytes32 farmId);

    /// @notice The caller is not the farm's provider.
    error CapacityPools_NotFarmProvider(bytes32 farmId, address caller);

    /// @notice A node ID is zero.
    error CapacityPools_ZeroNodeId();

    /// @notice The node is already declared, by this farm or another.
    error CapacityPools_NodeAlreadyDeclared(bytes32 nodeId, bytes32 farmId);

    /// @notice The node is not declared by the farm it must belong to.
    error CapacityPools_NodeNotInFarm(bytes32 nodeId, bytes32 farmId);

    /// @notice A list is empty where it needs at least one element.
    error CapacityPools_EmptyList();

    /// @notice A list or a pool would exceed a bound (MAX_NODES_PER_POOL, MAX_WORKLOADS_PER_POOL, MAX_BATCH).
    error CapacityPools_TooMany(uint256 count, uint256 max);

    /// @notice The reservation was submitted after its deadline.
    error CapacityPools_ReservationExpired(uint256 deadline);

    /// @notice The customer already used or cancelled this nonce (a replayed reservation hits this).
    error CapacityPools_NonceUsed(address customer, uint256 nonce);

    /// @notice The reservation's customer is the zero address.
    error CapacityPools_ZeroAddressCustomer();

    /// @notice A signature does not come from the account it must come from.
    error CapacityPools_InvalidSignature(address expectedSigner);

    /// @notice The grace period is longer than the farm accepts (or than MAX_GRACE_SECONDS, for a farm's limit).
    error CapacityPools_GraceTooLong(uint256 graceSeconds, uint256 max);

    /// @notice A top-up names a grace period: it is fixed when the pool is created.
    error CapacityPools_GraceOnTopUp(bytes32 poolId);

    /// @notice A node appears twice in a pool's creation.
    error CapacityPools_DuplicateNode(bytes32 nodeId);

    /// @notice The reservation buys nothing and adds no node.
    error CapacityPools_EmptyReservation();

    /// @notice The reservation costs more than its signer accepted.
    error CapacityPools_CostAboveMax(uint256 cost, uint256 maxCost);

    /// @notice No pool has this ID.
    error CapacityPools_PoolNotFound(bytes32 poolId);

    /// @notice The top-up names a farm other than the pool's.
    error CapacityPools_FarmMismatch(bytes32 poolId, bytes32 farmId);

    /// @notice Only the pool's owner may do this (assign workloads, add nodes).
    error CapacityPools_NotPoolOwner(bytes32 poolId, address caller);

    /// @notice The pool's grace period is over with workloads still running: close them before topping it up.
    error CapacityPools_GraceOver(bytes32 poolId, uint256 graceEndsAt);

    /// @notice The node is not one of the pool's.
    error CapacityPools_NodeNotInPool(bytes32 poolId, bytes32 nodeId);

    /// @notice The workload ID is zero.
    error CapacityPools_ZeroWorkloadId();

    /// @notice A workload with this ID exists with other parameters, or existed (IDs are never reused).
    error CapacityPools_WorkloadExists(bytes32 workloadId);

    /// @notice No workload has this ID.
    error CapacityPools_WorkloadNotFound(bytes32 workloadId);

    /// @notice The workload is not in the status the action needs.
    error CapacityPools_InvalidWorkloadStatus(bytes32 workloadId, WorkloadStatus current);

    /// @notice The caller may not act on this workload.
    error CapacityPools_Unauthorized(bytes32 workloadId, address caller);

    /// @notice Starting the workload would leave less than MIN_RUNWAY seconds before the pool runs out.
    error CapacityPools_InsufficientRunway(bytes32 poolId, uint256 emptyAt, uint256 needed);

    /// @notice The pool is not past its grace period, so its workloads are not expired.
    error CapacityPools_NotExpired(bytes32 poolId, PoolStatus status);

    /// @notice The pool still has running workloads, so its balance is not the customer's to take.
    error CapacityPools_PoolBusy(bytes32 poolId, uint256 runningCount);

    /// @notice Only the pool's beneficiary (its sponsor, else its owner) may withdraw its unconsumed balance.
    error CapacityPools_NotBeneficiary(bytes32 poolId, address caller);

    /// @notice There is nothing to withdraw.
    error CapacityPools_NothingToWithdraw(address account);

    /*//////////////////////////////////////////////////////////////
                            PAYMENT CHANNELS
    //////////////////////////////////////////////////////////////*/

    /// @notice The payee is the zero address.
    error PaymentChannels_ZeroAddressPayee();

    /// @notice A channel's payee must be someone other than its payer.
    error PaymentChannels_PayeeIsPayer(address account);

    /// @notice The settle delay is outside [MIN_SETTLE_DELAY, MAX_SETTLE_DELAY].
    error PaymentChannels_SettleDelayOutOfRange(uint32 settleDelay, uint32 min, uint32 max);

    /// @notice The amount is zero.
    error PaymentChannels_ZeroAmount();

    /// @notice The payer already opened a channel with this salt (channel IDs are never reused).
    error PaymentChannels_ChannelExists(bytes32 channelId);

    /// @notice The value sent is not the amount (native coin) or not zero (ERC20).
    error PaymentChannels_ValueMismatch(uint256 value, uint256 expected);

    /// @notice No channel has this ID.
    error PaymentChannels_ChannelNotFound(bytes32 channelId);

    /// @notice The channel was collected or closed.
    error PaymentChannels_ChannelClosed(bytes32 channelId);

    /// @notice The caller is neither the channel's payer nor its payee.
    error PaymentChannels_NotParty(bytes32 channelId, address caller);

    /// @notice The channel takes no more vouchers: it is closed, or its `settlingAt` has been reached.
    error PaymentChannels_ChannelSettled(bytes32 channelId, uint64 settlingAt);

    /// @notice The secret is longer than MAX_SECRET_BYTES.
    error PaymentChannels_SecretTooLong(uint256 length, uint256 max);

    /// @notice The voucher merges more than MAX_MERGES lanes.
    error PaymentChannels_TooManyMerges(uint256 count, uint256 max);

    /// @notice The voucher is not signed by the channel's other party (`signer`).
    error PaymentChannels_InvalidVoucherSignature(bytes32 channelId, address signer);

    /// @notice The voucher is for another channel.
    error PaymentChannels_VoucherChannelMismatch(bytes32 channelId, bytes32 voucherChannelId);

    /// @notice The voucher applies only from `timeLockMin`.
    error PaymentChannels_TimeLockMinNotReached(uint64 timeLockMin);

    /// @notice The voucher applied only up to `timeLockMax`.
    error PaymentChannels_TimeLockMaxPassed(uint64 timeLockMax);

    /// @notice The secret's keccak256 is not the voucher's secret hash.
    error PaymentChannels_SecretMismatch(bytes32 secretHash);

    /// @notice The voucher's extra call failed or did not return true.
    error PaymentChannels_ExtraCallFailed(address target);

    /// @notice The lane ID is above MAX_LANE.
    error PaymentChannels_LaneOutOfRange(uint64 lane);

    /// @notice The lane exists and the voucher's nonce does not exceed its nonce.
    error PaymentChannels_VoucherNonceTooLow(uint64 lane, uint64 laneNonce, uint64 nonce);

    /// @notice A voucher cannot merge its own lane.
    error PaymentChannels_MergeIntoOwnLane(uint64 lane);

    /// @notice A merged lane must exist.
    error PaymentChannels_MergeLaneNotFound(uint64 lane);

    /// @notice A merge's nonce must exceed its lane's nonce.
    error PaymentChannels_MergeNonceTooLow(uint64 lane, uint64 laneNonce, uint64 nonce);

    /// @notice The voucher would leave the channel owing the payee less than nothing.
    error PaymentChannels_NegativeToSend(uint256 toSend, uint256 reduction);

    /// @notice The channel's balance cannot cover what it would owe the payee.
    error PaymentChannels_InsufficientChannelFunds(bytes32 channelId, uint256 toSend, uint256 balance);

    /// @notice The channel is already settling.
    error PaymentChannels_AlreadySettling(bytes32 channelId, uint64 settlingAt);

    /// @notice Nobody has settled the channel yet.
    error PaymentChannels_NotSettling(bytes32 channelId);

    /// @notice The channel can be collected only from `settlingAt`.
    error PaymentChannels_SettlingNotDone(bytes32 channelId, uint64 settlingAt);

    /// @notice The cooperative close's deadline has passed.
    error PaymentChannels_CloseExpired(uint64 deadline);

    /// @notice The cooperative close is not signed by `signer`.
    error PaymentChannels_InvalidCloseSignature(bytes32 channelId, address signer);

    /// @notice There is nothing to withdraw.
    error PaymentChannels_NothingToWithdraw(address token, address account);

    /// @notice The recipient refused the native coin.
    error PaymentChannels_NativeTransferFailed(address to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                BLS12381
    //////////////////////////////////////////////////////////////*/

    /// @notice An EIP-2537 precompile (or SHA-256 / MODEXP under hash-to-curve) refused its input: a point off
    /// the curve or outside the subgroup, a field element not reduced; or the chain lacks it.
    error BLS12381_PrecompileFailed(uint256 precompile);

    /// @notice An input's length is not what the operation takes (a point, a field element, a DST, an MSM's pairs).
    error BLS12381_InvalidLength(uint256 length, uint256 expected);

    /*//////////////////////////////////////////////////////////////
                            OPERATOR REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice The bond token is the zero address, or a withdrawal's recipient is.
    error OperatorRegistry_ZeroAddress();

    /// @notice The minimum bond is zero: an operator with no stake would be in the aggregate key, yet could not be
    /// named as a non-signer.
    error OperatorRegistry_ZeroMinBond();

    /// @notice The caller is already registered (Active or Unbonding).
    error OperatorRegistry_AlreadyRegistered(address operator, OperatorStatus status);

    /// @notice The bond is below the registry's minimum.
    error OperatorRegistry_BondTooLow(uint96 bond, uint96 minBond);

    /// @notice The quorum bitmap is empty.
    error OperatorRegistry_NoQuorums();

    /// @notice The quorum number is not below MAX_QUORUMS.
    error OperatorRegistry_InvalidQuorum(uint8 quorum);

    /// @notice The public key is not 256 bytes of reduced field elements, or is the point at infinity.
    error OperatorRegistry_InvalidPublicKey();

    /// @notice The key was registered before (by anyone): a key is accepted once.
    error OperatorRegistry_KeyTaken(bytes32 keyHash);

    /// @notice The proof of possession is not 128 bytes, or is not the key's signature of the registration
    /// digest (also what a key off the curve or outside the subgroup hits).
    error OperatorRegistry_InvalidProofOfPossession(bytes32 keyHash);

    /// @notice The URL is empty.
    error OperatorRegistry_EmptyUrl();

    /// @notice The URL is longer than MAX_URL_BYTES.
    error OperatorRegistry_UrlTooLong(uint256 length, uint256 max);

    /// @notice The caller is not an Active operator.
    error OperatorRegistry_NotActive(address operator, OperatorStatus status);

    /// @notice The amount is zero.
    error OperatorRegistry_ZeroAmount();

    /// @notice The operator is already in the quorum.
    error OperatorRegistry_AlreadyInQuorum(address operator, uint8 quorum);

    /// @notice The operator is not in the quorum.
    error OperatorRegistry_NotInQuorum(address operator, uint8 quorum);

    /// @notice The operator's last quorum cannot be left (to leave every quorum, unbond).
    error OperatorRegistry_LastQuorum(address operator, uint8 quorum);

    /// @notice The caller is not an Unbonding operator.
    error OperatorRegistry_NotUnbonding(address operator, OperatorStatus status);

    /// @notice The bond unlocks only at `unbondingEndsAt`.
    error OperatorRegistry_StillUnbonding(address operator, uint64 unbondingEndsAt);

    /// @notice Checkpoint `index` is not the one in force at `blockNumber` (or does not exist).
    error OperatorRegistry_WrongCheckpointIndex(uint32 blockNumber, uint256 index);

    /// @notice There was no checkpoint at or before `blockNumber`.
    error OperatorRegistry_NoCheckpoint(uint32 blockNumber);

    /*//////////////////////////////////////////////////////////////
                              TASK MANAGER
    //////////////////////////////////////////////////////////////*/

    /// @notice The registry is the zero address.
    error TaskManager_ZeroAddress();

    /// @notice The creator already created a task with this salt.
    error TaskManager_TaskExists(bytes32 taskId);

    /// @notice The threshold is 0 or above 100.
    error TaskManager_InvalidThreshold(uint8 thresholdPercent);

    /// @notice The response window is outside [MIN_RESPONSE_WINDOW, MAX_RESPONSE_WINDOW].
    error TaskManager_InvalidResponseWindow(uint64 responseWindow, uint64 min, uint64 max);

    /// @notice The payload is longer than MAX_PAYLOAD_BYTES.
    error TaskManager_PayloadTooLong(uint256 length, uint256 max);

    /// @notice The quorum had no stake at the reference block (a threshold of nothing would pass).
    error TaskManager_EmptyQuorum(uint8 quorum, uint32 referenceBlock);

    /// @notice No task has this ID.
    error TaskManager_TaskNotFound(bytes32 taskId);

    /// @notice The task is not Open (it was responded to or challenged).
    error TaskManager_TaskNotOpen(bytes32 taskId, TaskStatus status);

    /// @notice The task's response deadline has passed.
    error TaskManager_DeadlinePassed(bytes32 taskId, uint64 responseDeadline);

    /// @notice The response is longer than MAX_RESPONSE_BYTES.
    error TaskManager_ResponseTooLong(uint256 length, uint256 max);

    /// @notice The non-signers' keys and stake indices differ in number.
    error TaskManager_LengthMismatch(uint256 keys, uint256 indices);

    /// @notice The non-signer at `index` does not have a key hash above the previous one (unsorted or duplicate).
    error TaskManager_UnsortedNonSigners(uint256 index);

    /// @notice No operator registered the non-signer key of hash `keyHash`.
    error TaskManager_UnknownNonSigner(bytes32 keyHash);

    /// @notice The non-signer had no stake in the quorum at the reference block (or its key was not its key then).
    error TaskManager_NonSignerNotInQuorum(address operator, bytes32 keyHash);

    /// @notice The aggregate key given is not the quorum's at the reference block.
    error TaskManager_ApkMismatch(bytes32 given, bytes32 expected);

    /// @notice The signature is not 128 bytes, is the point at infinity, or does not verify.
    error TaskManager_InvalidSignature();

    /// @notice Every operator of the quorum is a non-signer: the signers' key is the point at infinity.
    error TaskManager_NoSigners();

    /// @notice The signed stake is below the task's threshold.
    error TaskManager_BelowThreshold(uint96 signedStake, uint96 totalStake, uint8 thresholdPercent);

    /// @notice The task's status is not Responded.
    error TaskManager_NotResponded(bytes32 taskId, TaskStatus status);

    /// @notice The task has no verifier: its responses cannot be checked on chain.
    error TaskManager_NotChallengeable(bytes32 taskId);

    /// @notice The challenge window closed at `closedAt`.
    error TaskManager_ChallengeWindowOver(bytes32 taskId, uint64 closedAt);

    /// @notice The payload given does not hash to the task's payload hash.
    error TaskManager_PayloadMismatch(bytes32 taskId);

    /// @notice The response given does not hash to the task's response hash.
    error TaskManager_ResponseMismatch(bytes32 taskId);

    /// @notice The verifier says the response is correct: there is nothing to challenge.
    error TaskManager_ResponseCorrect(bytes32 taskId);

    /*//////////////////////////////////////////////////////////////
                             QUORUM MEDIATOR
    //////////////////////////////////////////////////////////////*/

    /// @notice A constructor address (market, task manager, token) or a withdrawal's recipient is zero.
    error QuorumMediator_ZeroAddress();

    /// @notice The threshold is 0 or above 100.
    error QuorumMediator_InvalidThreshold(uint8 thresholdPercent);

    /// @notice The response window is outside the task manager's bounds.
    error QuorumMediator_InvalidResponseWindow(uint64 responseWindow);

    /// @notice The market drew another mediator for this deal.
    error QuorumMediator_NotDrawn(bytes32 dealId, address drawn);

    /// @notice The deal's latest verdict task is still open or answered: a new one would race it.
    error QuorumMediator_VerdictPending(bytes32 dealKey, bytes32 taskId, TaskStatus status);

    /// @notice No verdict was asked for this deal.
    error QuorumMediator_NoVerdictTask(bytes32 dealKey);

    /// @notice The verdict task's response is not final yet (or there is none).
    error QuorumMediator_VerdictNotFinal(bytes32 taskId);

    /// @notice The task's response is neither VERDICT_ACCEPT nor VERDICT_REJECT.
    error QuorumMediator_InvalidVerdict(bytes32 taskId, bytes32 responseHash);

    /// @notice The account has no credited fees.
    error QuorumMediator_NothingToWithdraw(address account);

    /*//////////////////////////////////////////////////////////////
                            MACHINE REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller already registered a machine with this salt (or it was removed: IDs are never reused).
    error MachineRegistry_MachineExists(bytes32 machineId);

    /// @notice No active machine has this ID (never registered, or removed).
    error MachineRegistry_MachineNotFound(bytes32 machineId, MachineStatus status);

    /// @notice The caller is not the machine's provider.
    error MachineRegistry_NotProvider(bytes32 machineId, address caller);

    /// @notice The profile digest is zero.
    error MachineRegistry_ZeroProfile();

    /// @notice The machine declares no CPU cores, no CPU clock or no memory.
    error MachineRegistry_ZeroCapacity(uint32 cpuCores, uint32 cpuMhz, uint32 memoryMb);

    /// @notice A GPU count without VRAM, or VRAM without a GPU.
    error MachineRegistry_GpuMismatch(uint16 gpuCount, uint32 maxGpuVramMb);

    /// @notice The onboarded CPU is not between 10% and 90% (inclusive) of the machine's.
    error MachineRegistry_CpuShareOutOfRange(uint32 onboardedCpuMhz, uint32 cpuMhz);

    /// @notice The onboarded memory is not between 10% and 90% (inclusive) of the machine's.
    error MachineRegistry_MemoryShareOutOfRange(uint32 onboardedMemoryMb, uint32 memoryMb);

    /*//////////////////////////////////////////////////////////////
                               JOB ESCROW
    //////////////////////////////////////////////////////////////*/

    /// @notice A constructor address (token, registry) or a withdrawal's recipient is zero.
    error JobEscrow_ZeroAddress();

    /// @notice A constructor window (acceptance timeout, attestation window) is 0 or above MAX_WINDOW.
    error JobEscrow_InvalidWindow(uint64 window, uint64 max);

    /// @notice The requester already opened a job with this salt.
    error JobEscrow_JobExists(bytes32 jobId);

    /// @notice No job has this ID.
    error JobEscrow_JobNotFound(bytes32 jobId);

    /// @notice The machine is not registered, removed, or not available.
    error JobEscrow_MachineUnavailable(bytes32 machineId);

    /// @notice The time limit is 0 or above MAX_TIME_LIMIT.
    error JobEscrow_InvalidTimeLimit(uint32 timeLimit, uint32 max);

    /// @notice maxPrice is zero.
    error JobEscrow_ZeroMaxPrice();

    /// @notice The oracle set is neither a key set (1..MAX_ORACLES strictly increasing non-zero signers, threshold
    /// 1..n, no contract) nor an oracle contract alone (no signers, threshold 0).
    error JobEscrow_InvalidOracleSet();

    /// @notice The job is not in the state the action needs.
    error JobEscrow_InvalidState(bytes32 jobId, JobStatus current);

    /// @notice The caller is not the party allowed to take this action.
    error JobEscrow_Unauthorized(bytes32 jobId, address caller);

    /// @notice The step's deadline has passed.
    error JobEscrow_DeadlinePassed(bytes32 jobId, uint256 deadline);

    /// @notice The step's deadline has not passed yet.
    error JobEscrow_DeadlineNotPassed(bytes32 jobId, uint256 deadline);

    /// @notice The job has not completed: not reported and its time limit not over.
    error JobEscrow_NotCompleted(bytes32 jobId, uint256 completesAt);

    /// @notice The run time exceeds the job's time limit.
    error JobEscrow_RunTooLong(bytes32 jobId, uint64 runSeconds, uint32 timeLimit);

    /// @notice The outcome is above 10000 basis points.
    error JobEscrow_InvalidBps(uint16 bps);

    /// @notice The oracle set given does not hash to the job's.
    error JobEscrow_OracleSetMismatch(bytes32 jobId, bytes32 given, bytes32 expected);

    /// @notice The job's oracle set is an oracle contract (use `attestByOracle`), or a key set (`attest`).
    error JobEscrow_WrongOracleKind(bytes32 jobId);

    /// @notice The signature at position `position` names a signer index not above the previous one (a duplicate
    /// or out of order) or beyond the set.
    error JobEscrow_InvalidSignerIndex(uint256 position, uint8 index);

    /// @notice The signature at position `position` is not a valid signature of `signer`.
    error JobEscrow_InvalidSignature(uint256 position, address signer);

    /// @notice Fewer valid signatures than the set's threshold.
    error JobEscrow_NotEnoughSignatures(uint256 count, uint8 threshold);

    /// @notice The account has no deferred payouts.
    error JobEscrow_NothingToWithdraw(address account);

    /*//////////////////////////////////////////////////////////////
                            QUORUM JOB ORACLE
    //////////////////////////////////////////////////////////////*/

    /// @notice A constructor address (escrow, task manager) is zero.
    error QuorumJobOracle_ZeroAddress();

    /// @notice The threshold is 0 or above 100.
    error QuorumJobOracle_InvalidThreshold(uint8 thresholdPercent);

    /// @notice The response window is outside the task manager's bounds.
    error QuorumJobOracle_InvalidResponseWindow(uint64 responseWindow);

    /// @notice The job's oracle set is not this contract.
    error QuorumJobOracle_NotJobOracle(bytes32 jobId);

    /// @notice The job cannot be attested now (not completed, already settled, or its attestation window closed).
    error QuorumJobOracle_NotAttestable(bytes32 jobId, JobStatus status);

    /// @notice The job's latest attestation task is still open or answered: a new one would race it.
    error QuorumJobOracle_AttestationPending(bytes32 jobId, bytes32 taskId, TaskStatus status);

    /// @notice No attestation was asked for this job.
    error QuorumJobOracle_NoAttestationTask(bytes32 jobId);

    /// @notice The attestation task's response is not final yet (or there is none).
    error QuorumJobOracle_AttestationNotFinal(bytes32 taskId);

    /// @notice The response given does not hash to the task's response hash.
    error QuorumJobOracle_ResponseMismatch(bytes32 taskId);

    /// @notice The response is not abi.encode(uint16 bps, uint64 runSeconds).
    error QuorumJobOracle_InvalidResponse(bytes32 taskId);
}
